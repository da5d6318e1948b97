//===- Device.h - where an executor's bytes live and its steps run --------===//
//
// The executor walks a plan the same way on every device; what differs is
// here: which kernel implements a plan kernel, where arenas, caches and
// weights live, how bytes cross between the host and the device, and what
// a kernel is given besides its tensors. runtime/cpu/CpuDevice is the host
// itself; runtime/cuda/CudaDevice a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_DEVICE_H
#define LLMC_RUNTIME_EXEC_DEVICE_H

#include "runtime/exec/Kernel.h"
#include "runtime/parallel/Communicator.h"
#include "runtime/sampler/Candidates.h"

#include <functional>
#include <memory>
#include <optional>

namespace llmc::kernels {
struct QuantWeight;
struct PackedQuant;
} // namespace llmc::kernels

namespace llmc::runtime {

class Device {
public:
  virtual ~Device() = default;

  /// "cpu", or "cuda:0 (NVIDIA H200)".
  virtual std::string name() const = 0;
  /// The device memory's peak bandwidth in bytes/s as the device reports
  /// it, or 0 where it does not (the CPU: bench/ measures it instead).
  virtual double peakBandwidth() const { return 0; }
  /// Whether tensors in this device's memory can be read by the host
  /// directly (the CPU); otherwise results are copied out with toHost.
  virtual bool hostVisible() const = 0;

  /// The implementation of plan kernel `name` on this device, or null.
  virtual KernelFn kernel(const std::string &name) const = 0;

  /// `bytes` of device memory, 256-byte aligned, freed with the returned
  /// handle; zero bytes give an empty handle.
  using Memory = std::shared_ptr<uint8_t>;
  virtual Expected<Memory> allocate(uint64_t bytes) = 0;
  /// Whether `data` lies in memory this device allocated (else it is host
  /// memory an argument must be copied in from).
  virtual bool owns(const void *data) const = 0;

  virtual Status toDevice(uint8_t *device, const void *host,
                          uint64_t bytes) = 0;
  virtual Status toHost(void *host, const uint8_t *device, uint64_t bytes) = 0;
  virtual Status fill(uint8_t *device, uint8_t value, uint64_t bytes) = 0;

  /// The bytes of a weight section as this device's kernels read them
  /// (the CPU: the mapped artifact itself; a GPU: its copy, made once).
  virtual Expected<const uint8_t *> weight(const uint8_t *host,
                                           uint64_t bytes) = 0;
  /// Quantized weight `w` (in this device's bytes) in a layout of the
  /// device's own, made once at load, or null to read `w` as it is (the
  /// CPU: kernels/cpu/QuantGemvInt8.h's tiles for its AVX2 integer path).
  virtual std::shared_ptr<const kernels::PackedQuant>
  pack(const kernels::QuantWeight &w) {
    (void)w;
    return nullptr;
  }

  /// Whether replay() records and replays (a CUDA device: on by default);
  /// off, it always runs the steps.
  virtual void setRecording(bool on) { (void)on; }
  virtual bool recording() const { return false; }
  /// How many calls replayed a recording so far.
  virtual int64_t replays() const { return 0; }

  /// Runs `steps` (the kernel calls of one entry point), or replays what
  /// they enqueued when called before with the same `key` (CUDA graphs).
  /// True when `steps` ran on the host (its outputs' shapes are set),
  /// false when a recording was replayed. The CPU just runs them.
  virtual Expected<bool> replay(const std::string &key,
                                const std::function<Status()> &steps) {
    (void)key;
    if (Status status = steps(); !status)
      return status;
    return true;
  }

  /// For a sampler that needs part of each row (Sampler::candidateQuery,
  /// runtime/sampler/Candidates.h): per row of `logits` (rows of its last
  /// extent), the candidates as f32 logits and ids, row r's at
  /// [offsets[r], offsets[r + 1]), and the rest's softmax weight. Nothing
  /// when the device does not select them (the host then reads the whole
  /// rows).
  struct Candidates {
    std::vector<float> logits;
    std::vector<int64_t> ids;
    std::vector<size_t> offsets;
    std::vector<double> rest;
  };
  virtual Expected<std::optional<Candidates>>
  candidates(const Tensor &logits, const CandidateQuery &query) {
    (void)logits;
    (void)query;
    return std::optional<Candidates>();
  }

  /// The ranks of `host` (a communicator of host memory: MPI's; every
  /// rank must call it) as a communicator of this device's memory, for
  /// the plan's collective kernels; null where `host` moves this device's
  /// memory itself (the CPU's, the cpu-staged device's).
  virtual Expected<std::unique_ptr<Communicator>>
  ranksOver(Communicator &host) {
    (void)host;
    return std::unique_ptr<Communicator>();
  }

  /// Fills in the device's part of a kernel's context before it runs.
  virtual void prepare(KernelContext &context) = 0;
  /// Waits for all work issued so far; reports a failure that happened
  /// asynchronously.
  virtual Status synchronize() = 0;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_DEVICE_H
