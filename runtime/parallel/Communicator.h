//===- Communicator.h - how ranks exchange tensors ------------------------===//
//
// A model sharded over ranks (passes/parallel/, docs/parallel.md) moves
// data between them in four ways: tensor parallelism sums partial results
// over the ranks of a pipeline stage (all-reduce) and joins their slices
// (all-gather); pipeline parallelism sends a hidden state from one stage
// to the next; and the generation loop broadcasts what the sampling rank
// sampled. A Communicator does these among a fixed set of ranks. Two
// implementations: MPI for CPU ranks (MpiCommunicator.h) and NCCL for GPU
// ranks. Every failure names the rank it happened on.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_PARALLEL_COMMUNICATOR_H
#define LLMC_RUNTIME_PARALLEL_COMMUNICATOR_H

#include "runtime/exec/Tensor.h"
#include "runtime/format/Status.h"

#include <cstdint>
#include <memory>

namespace llmc::runtime {

class Communicator {
public:
  virtual ~Communicator() = default;

  /// This rank's place among the communicator's ranks, and their count.
  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;

  /// `count` elements of `output` on every rank: the sum over all ranks
  /// of their `input` (f32 or f16; f16 sums in f32). `input` may be
  /// `output`.
  virtual Status allReduceSum(const void *input, void *output, int64_t count,
                              DType dtype) = 0;
  /// Every rank's `rows` x `columns` elements of `input` into `output`,
  /// rows x (size() x columns) on every rank: each row holds rank 0's
  /// columns, then rank 1's, ... (a join along the last axis; rows = 1
  /// joins along the first).
  virtual Status allGather(const void *input, void *output, int64_t rows,
                           int64_t columns, DType dtype) = 0;
  /// `bytes` to rank `to`, which receives them with recv(..., from).
  virtual Status send(const void *data, uint64_t bytes, int64_t to) = 0;
  virtual Status recv(void *data, uint64_t bytes, int64_t from) = 0;
  /// Starts sending, as send() does, and returns at once: the bytes must
  /// stay as they are until wait() of the returned ticket has returned.
  /// (A pipeline's last stage sends a micro-batch's logits back while it
  /// goes on receiving the next one.)
  virtual Expected<int64_t> startSend(const void *data, uint64_t bytes,
                                      int64_t to) = 0;
  virtual Status wait(int64_t ticket) = 0;
  /// `bytes` of rank `root`'s `data` into every rank's.
  virtual Status broadcast(void *data, uint64_t bytes, int64_t root) = 0;

  /// The ranks that pass the same `color`, ordered by `key` (a pipeline
  /// stage's tensor-parallel ranks). Every rank must call it.
  virtual Expected<std::unique_ptr<Communicator>> split(int64_t color,
                                                        int64_t key) = 0;

  /// Ends every rank of the job now with exit status `code`: after a
  /// failure on one rank the others must not wait for it.
  [[noreturn]] virtual void abort(int code) = 0;

protected:
  /// A failure whose message starts with "rank R: ".
  Status failed(const std::string &message) const;
};

/// What a rank communicates through. Its kernels (KernelContext::links),
/// in the device's memory: its pipeline stage's tensor-parallel ranks
/// (all-reduce, all-gather) and the job's every rank, stage s's
/// tensor-parallel rank t being world rank s x tp + t (send, recv: the
/// same tensor-parallel rank of another stage). The generation loop, in
/// host memory: every rank again (a pipeline's logits), the same
/// communicator as `world` where that moves host memory (CPU ranks), MPI
/// beside NCCL on GPUs.
struct RankLinks {
  Communicator *stage = nullptr;
  Communicator *world = nullptr;
  Communicator *host = nullptr;
  int64_t tp = 1;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_PARALLEL_COMMUNICATOR_H
