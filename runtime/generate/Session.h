//===- Session.h - a loaded model and sequences running through it --------===//
//
// Model: an artifact mapped, the device its target names (the CPU, or a
// GPU for a cuda artifact), its plan checked against that device's
// kernels, a thread pool and an executor. Session: one batch of sequences
// with its own KV cache in device memory (the layout the compiler chose,
// sized for the artifact's max_seq) and its position; prefill() starts it,
// decode() appends tokens. Logits come back in host memory.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_GENERATE_SESSION_H
#define LLMC_RUNTIME_GENERATE_SESSION_H

#include "runtime/exec/Executor.h"
#include "runtime/sampler/Sampler.h"

#include <memory>

namespace llmc::runtime {

class Model {
public:
  /// Opens and checks `path`; `threads` 0 means availableCpus().
  /// The device is the one the artifact's target names, or with `staged`
  /// (a cpu artifact) runtime/cpu/StagedDevice, for tests. `rank` of
  /// `ranks`: the run's tensor-parallel rank, whose plan runs
  /// (ModelInfo::planSection; its communication needs
  /// executor().setLinks); an artifact compiled for other than `ranks`
  /// is refused, naming both.
  static Expected<std::unique_ptr<Model>>
  load(const std::string &path, unsigned threads, bool staged = false,
       int64_t rank = 0, int64_t ranks = 1);

  const ModelInfo &info() const { return info_; }
  /// Success when the artifact has prefill and decode over a KV cache.
  Status checkGenerative() const;
  /// Success when it also has @verify and a draft (llmc compile --draft).
  Status checkSpeculative() const;
  const Program &program() const { return program_; }
  const Artifact &artifact() const { return *artifact_; }
  Executor &executor() { return executor_; }
  /// This run's rank among the artifact's (ModelInfo::ranks()).
  int64_t rank() const { return rank_; }
  Device &device() { return *device_; }
  unsigned threads() const { return pool_->size(); }
  /// Bytes of the weight sections this model's plan reads: what one
  /// decode step reads at most.
  uint64_t weightBytes() const;
  /// The artifact's draft model (its "draft plan": a second ONNX model or
  /// one derived from this one), sharing the file, device and threads;
  /// null when the draft is n-gram lookup or there is none.
  Model *draft() { return draft_.get(); }

private:
  Model(std::shared_ptr<const Artifact> artifact,
        std::shared_ptr<Device> device, Program program, ModelInfo info,
        std::shared_ptr<ThreadPool> pool);

  std::shared_ptr<const Artifact> artifact_;
  std::shared_ptr<Device> device_;
  Program program_;
  ModelInfo info_;
  std::shared_ptr<ThreadPool> pool_;
  Executor executor_;
  std::unique_ptr<Model> draft_;
  int64_t rank_ = 0;
};

class Session {
public:
  /// `model` must pass checkGenerative(); fails when the device has no
  /// room for the cache.
  static Expected<std::unique_ptr<Session>> create(Model &model,
                                                   int64_t batch = 1);

  /// Runs `ids` ([batch x tokens], row-major) from position 0; returns the
  /// last position's logits [batch, vocab].
  Expected<Tensor> prefill(const std::vector<int64_t> &ids);
  /// Appends `ids` ([batch x tokens]) at the current position; returns the
  /// logits of every new position [batch, tokens, vocab].
  Expected<Tensor> decode(const std::vector<int64_t> &ids);

  /// prefill() and decode() followed by the next token of each sequence,
  /// drawn by `sampler` from its last position's logits: from candidates
  /// the device selects when it can (a GPU; Device::candidates), else from
  /// the logits read back. The same tokens either way.
  /// Scores `ids` ([batch x tokens], at most the artifact's draft tokens
  /// + 1 per sequence) through @verify, each sequence's from its own
  /// position in `positions`, writing their keys and values there; returns
  /// every new position's logits [batch, tokens, vocab]. Leaves position()
  /// alone: a speculative decoder keeps each sequence's.
  Expected<Tensor> verify(const std::vector<int64_t> &ids,
                          const std::vector<int64_t> &positions);

  Expected<std::vector<int64_t>>
  prefillAndSample(const std::vector<int64_t> &ids, Sampler &sampler);
  Expected<std::vector<int64_t>>
  decodeAndSample(const std::vector<int64_t> &ids, Sampler &sampler);

  int64_t position() const { return position_; }
  int64_t batch() const { return batch_; }
  Model &model() { return model_; }
  void reset() { position_ = 0; }
  uint64_t cacheBytes() const { return cacheBytes_; }

private:
  Session(Model &model, int64_t batch) : model_(model), batch_(batch) {}
  Status checkRoom(size_t ids) const;
  /// The error for `tokens` at `position` past max_seq.
  Status roomError(int64_t end) const;
  /// The entry points' logits results, in device memory.
  Expected<Tensor> runPrefill(const std::vector<int64_t> &ids);
  Expected<Tensor> runDecode(const std::vector<int64_t> &ids);
  Expected<std::vector<int64_t>> sampleLast(const Tensor &logits,
                                            Sampler &sampler);
  /// A micro-batch: sequences first .. first + batch - 1 and their cache.
  struct Part {
    int64_t first, batch;
    uint64_t cacheOffset;
  };
  Tensor cacheTensor(const Part &part);
  /// Runs `entry` on `ids` ([batch x tokens]) with the cache and, when
  /// given, `position` (one, or one per sequence with `perSequence`);
  /// returns its logits: the result in device memory, or with pipeline
  /// stages, the last stage's ([batch, logitsTokens, vocab]) in host
  /// memory on every stage, the micro-batches run one behind another.
  Expected<Tensor> run(const std::string &entry,
                       const std::vector<int64_t> &ids,
                       const int64_t *position, bool perSequence,
                       int64_t logitsTokens);
  /// The logits result, in host memory, as f32.
  Expected<Tensor> logits(const Tensor &result);

  Model &model_;
  int64_t batch_;
  std::vector<Part> parts_;
  Device::Memory cache_;
  uint64_t cacheBytes_ = 0;
  std::vector<uint8_t> logits_;
  std::vector<float> logitsF32_, stageLogits_;
  int64_t position_ = 0;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_GENERATE_SESSION_H
