//===- Session.h - a loaded model and sequences running through it --------===//
//
// Model: an artifact mapped, the device its target names (the CPU, or a
// GPU for a cuda artifact), its plan checked against that device's
// kernels, a thread pool and an executor. Session: one batch of sequences
// with its own KV cache in device memory, in the layout the compiler
// chose: contiguous (max_seq positions per sequence, one position for
// the batch) or paged (blocks of a pool sized by a memory budget, each
// sequence at its own position; PagedCalls.cpp, docs/kv-cache.md).
// prefill() starts it, decode() appends tokens, generate() runs the whole
// loop. Logits come back in host memory. With pipeline stages the batch
// runs as up to one micro-batch per stage, each with its cache and
// position (MicroBatches.cpp), and every rank gets the last stage's
// logits.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_GENERATE_SESSION_H
#define LLMC_RUNTIME_GENERATE_SESSION_H

#include "runtime/exec/Executor.h"
#include "runtime/kvcache/KvBlocks.h"
#include "runtime/kvcache/KvCompaction.h"
#include "runtime/sampler/Sampler.h"

#include <functional>
#include <map>
#include <memory>

namespace llmc::runtime {

/// A process's place among the ranks of a run (one rank: the defaults).
struct RankPlace {
  int64_t rank = 0, ranks = 1;
  /// Its place among the ranks on its node, which share the node's GPUs:
  /// each takes its own.
  int64_t local = 0, localRanks = 1;
};

class Model {
public:
  /// Opens and checks `path`; `threads` 0 means availableCpus().
  /// The device is the one the artifact's target names, or with `staged`
  /// (a cpu artifact) runtime/cpu/StagedDevice, for tests. `place.rank`
  /// of `place.ranks`: the run's rank, whose plan runs
  /// (ModelInfo::planSection; its communication needs
  /// executor().setLinks); an artifact compiled for other than
  /// `place.ranks` is refused, naming both.
  static Expected<std::unique_ptr<Model>> load(const std::string &path,
                                               unsigned threads,
                                               bool staged = false,
                                               RankPlace place = {});

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

/// How a session keeps its KV cache.
struct SessionOptions {
  /// A paged cache's pool, in bytes (0: room for every sequence of the
  /// batch to reach max_seq, as a contiguous cache reserves).
  uint64_t kvMemory = 0;
};

class Session {
public:
  /// `model` must pass checkGenerative(); fails when the device has no
  /// room for the cache, or a paged cache's budget for one sequence of
  /// max_seq tokens (KvBlocks::create), or `options.kvMemory` is given for
  /// a contiguous cache.
  static Expected<std::unique_ptr<Session>>
  create(Model &model, int64_t batch = 1, SessionOptions options = {});

  /// Runs `ids` ([batch x tokens], row-major) from position 0; returns the
  /// last position's logits [batch, vocab].
  Expected<Tensor> prefill(const std::vector<int64_t> &ids);
  /// prefill() of one prompt per sequence; in a paged session they may
  /// differ in length, and each starts after the longest prefix of whole
  /// blocks the pool has cached (a prompt before it in the list included).
  Expected<Tensor>
  prefillEach(const std::vector<std::vector<int64_t>> &prompts);
  /// Appends `ids` ([batch x tokens]) at the current position; returns the
  /// logits of every new position [batch, tokens, vocab].
  Expected<Tensor> decode(const std::vector<int64_t> &ids);

  /// A paged session: appends `ids` ([rows x tokens]) to sequences `rows`
  /// (distinct), each at its own position, through @decode (the logits of
  /// every new position: [rows, tokens, vocab]) or with `prefill` through
  /// @prefill (the last one's: [rows, vocab]); the logits in host memory.
  /// Nothing changes when a sequence would pass max_seq or the pool has
  /// too few blocks for the tokens. Another error (a kernel's) leaves no
  /// sequence running: their blocks may lack the call's keys and values.
  Expected<Tensor> appendRows(const std::vector<int64_t> &rows,
                              const std::vector<int64_t> &ids,
                              bool prefill = false);
  /// A paged session, sequence by sequence (a server's scheduler): row
  /// `row`, which runs no sequence, starts one with `tokens`, taking the
  /// cached blocks of their longest prefix of whole blocks; returns how
  /// many tokens those hold (appendRows appends the rest).
  Expected<int64_t> startRow(int64_t row, const std::vector<int64_t> &tokens);
  /// Whether row `row` runs a sequence.
  bool rowRunning(int64_t row) const { return rows_[size_t(row)] >= 0; }
  /// The pool's blocks appendRows would take for `count` more tokens of
  /// row `row` (a running one).
  int64_t rowNeeds(int64_t row, int64_t count) const;
  /// Row `row`'s sequence ends: its blocks go back to the pool (full ones
  /// cached for later prompts).
  void endRow(int64_t row);
  /// Row `row` (a running one) keeps its first `tokens` tokens: drafted
  /// tokens the target rejected leave the cache (KvBlocks::truncate), or a
  /// conversation goes on from what its next prompt shares. A contiguous
  /// cache of one sequence moves its position back.
  Status truncateRow(int64_t row, int64_t tokens);

  /// Scores `ids` ([batch x tokens], at most the artifact's draft tokens
  /// + 1 per sequence) through @verify, each sequence's from its own
  /// position in `positions`, writing their keys and values there; returns
  /// every new position's logits [batch, tokens, vocab]. Leaves position()
  /// alone: a speculative decoder keeps each sequence's. A paged session
  /// runs @decode, which takes a position per sequence anyway, after each
  /// running sequence drops its tokens from its position on (those the
  /// last call scored and the target rejected).
  Expected<Tensor> verify(const std::vector<int64_t> &ids,
                          const std::vector<int64_t> &positions);

  /// Generates from `prompts` (one per sequence; of one length unless
  /// the session is paged) until no sequence goes on or the cache is
  /// full. `take(sequence, token)` gets each sequence's next token, drawn
  /// by `sampler` from its last position's logits (from candidates the
  /// device selects when it can: a GPU, Device::candidates; else from the
  /// logits read back; the same tokens either way), in the order one rank
  /// samples them (a step's sequences in order, then the next step's),
  /// and says whether the sequence goes on. With pipeline stages the
  /// micro-batches stay in flight: one's next step starts as soon as its
  /// tokens are known, while the stages work on the others
  /// (MicroBatches.cpp). A paged session's sequences stop at max_seq each,
  /// and their blocks go back to the pool when they stop.
  Status generate(const std::vector<std::vector<int64_t>> &prompts,
                  Sampler &sampler,
                  const std::function<Expected<bool>(int64_t, int64_t)> &take);

  /// A contiguous cache's position, which its sequences share (a paged
  /// session's are tokens(row)).
  int64_t position() const { return parts_.front().position; }
  /// The tokens sequence `row` holds in the cache.
  int64_t tokens(int64_t row) const;
  int64_t batch() const { return batch_; }
  Model &model() { return model_; }
  /// Every sequence starts again at position 0 (a paged session's blocks
  /// go back to the pool, full ones cached for later prompts).
  void reset();
  /// Device memory the cache takes (a paged session's whole pool).
  uint64_t cacheBytes() const { return cacheBytes_; }
  /// A paged session's block manager (its memory use, prefix hits), else
  /// null.
  const KvBlocks *kvBlocks() const { return blocks_.get(); }
  /// A paged session's pool when it held the most blocks so far.
  const KvMemory &peakKvMemory() const { return peakKv_; }
  /// Tokens evicted so far (an artifact compiled with --kv-window), and
  /// the evictions that took them.
  int64_t evictedTokens() const { return evictedTokens_; }
  int64_t evictions() const { return evictions_; }

private:
  Session(Model &model, int64_t batch) : model_(model), batch_(batch) {}
  Status checkRoom(size_t ids) const;
  /// The error for `tokens` at `position` past max_seq.
  Status roomError(int64_t end) const;
  /// The entry points' logits results, in device memory.
  Expected<Tensor> runPrefill(const std::vector<int64_t> &ids);
  Expected<Tensor> runDecode(const std::vector<int64_t> &ids);
  /// A paged session's call of @prefill or @decode on sequences `rows`
  /// (each gets ids.size() / rows.size() tokens at its own position):
  /// their blocks are taken first, every block table and position passed
  /// along; the call's logits, in device memory.
  Expected<Tensor> runPaged(const std::vector<int64_t> &rows,
                            const std::vector<int64_t> &ids, bool prefill);
  /// prefillEach()'s calls: the last position's logits of every sequence,
  /// in device memory or (prompts run one by one) host memory.
  Expected<Tensor>
  runPrefillEach(const std::vector<std::vector<int64_t>> &prompts);
  Status
  generatePaged(const std::vector<std::vector<int64_t>> &prompts,
                Sampler &sampler,
                const std::function<Expected<bool>(int64_t, int64_t)> &take);
  /// An error unless `prompts` have one length (a contiguous cache's
  /// batch).
  static Status oneLength(const std::vector<std::vector<int64_t>> &prompts);
  /// With eviction: makes room in sequence `row` for `count` more tokens
  /// (KvCompaction.h); an error when one call brings more than the window
  /// takes.
  Status makeRoom(int64_t row, int64_t count);
  /// runPaged of a decode call in pieces the window takes, the logits
  /// joined in host memory.
  Expected<Tensor> runPagedPieces(const std::vector<int64_t> &rows,
                                  const std::vector<int64_t> &ids);
  /// Blocks `blocks` of the pool to or from `host` (their bytes one after
  /// another), through the device's copies: copy-on-write and eviction
  /// move blocks this way on every device.
  Status blocksToHost(const std::vector<int32_t> &blocks, uint8_t *host);
  Status blocksToDevice(const std::vector<int32_t> &blocks,
                        const uint8_t *host);
  /// A paged session after a failed call: its blocks may be published
  /// without their keys and values, so the pool starts afresh.
  void dropBlocks();
  /// The next token of each of `batch` sequences from the last row of
  /// each one's logits.
  Expected<std::vector<int64_t>> sampleLast(const Tensor &logits, int64_t batch,
                                            Sampler &sampler);

  /// A micro-batch: sequences first .. first + batch - 1, their cache and
  /// position. Without pipeline stages the whole batch is one.
  struct Part {
    int64_t first = 0, batch = 0;
    uint64_t cacheOffset = 0;
    int64_t position = 0;
    /// Its call is running: startPart() has run, partLogits() has not.
    bool running = false;
    /// Rows of logits per sequence the call returns (prefill: 1).
    int64_t logitsTokens = 0;
    /// Without stages: the call's logits in device memory (valid until
    /// the next call). With stages: the last stage's, in host memory.
    Tensor result;
    std::vector<float> logits;
    /// The last stage's sends of `logits` to the other stages.
    std::vector<int64_t> sends;
  };
  Tensor cacheTensor(const Part &part);
  /// `all` ([batch x per]) cut to part `m`'s sequences.
  std::vector<int64_t> partIds(int64_t m, const std::vector<int64_t> &all,
                               int64_t per) const;
  /// Runs micro-batch `m`'s prefill or decode of `ids` ([its sequences x
  /// tokens]) on this rank: its stage's share. The last stage starts
  /// sending its logits to the other stages; without `logits` (a chunk of
  /// a prompt before its last) they are not wanted, and the micro-batch
  /// may start its next call at once.
  Status startPart(int64_t m, const std::vector<int64_t> &ids, bool prefill,
                   bool logits = true);
  /// The logits of micro-batch `m`'s call ([its sequences, rows, vocab]):
  /// in device memory without stages, else in host memory (the other
  /// stages receive them).
  Expected<Tensor> partLogits(int64_t m);
  /// The whole batch's call: every micro-batch's, one behind the other;
  /// the logits as partLogits() gives them (one part), or joined in host
  /// memory.
  Expected<Tensor> runAll(const std::vector<int64_t> &ids, bool prefill);
  /// Waits until the last stage's sends of logits have ended: their
  /// buffers may change or go after it (a call that returns logits ends
  /// with it).
  Status finishSends();
  /// A prefill's result as prefill() returns it: [batch, vocab] in host
  /// memory.
  Expected<Tensor> lastLogits(Expected<Tensor> result);
  /// The logits a call returned (or partLogits: host memory already), in
  /// host memory, as f32.
  Expected<Tensor> logits(const Tensor &result);

  Model &model_;
  int64_t batch_;
  std::vector<Part> parts_;
  Device::Memory cache_;
  uint64_t cacheBytes_ = 0;
  std::vector<uint8_t> logits_;
  std::vector<float> logitsF32_, joined_;

  /// A paged cache: the block manager over cache_, the model's hash that
  /// seeds its prefix chains, and which of its sequences each row of the
  /// batch is (-1: none).
  std::unique_ptr<KvBlocks> blocks_;
  uint64_t blocksModel_ = 0;
  std::vector<int64_t> rows_;
  /// A call's positions and block tables.
  std::vector<int64_t> positions_;
  std::vector<int32_t> tables_;
  KvMemory peakKv_;
  /// Eviction (--kv-window), and what it took.
  std::unique_ptr<KvCompaction> compaction_;
  int64_t evictedTokens_ = 0, evictions_ = 0;
  std::vector<uint8_t> staged_, compacted_;
  /// h2o eviction: per running sequence (KvBlocks id), the attention each
  /// of its positions received, [layers, kvHeads, capacity] floats
  /// (KernelContext::attentionReceived), and a call's rows of them.
  std::map<int64_t, std::vector<float>> received_;
  std::vector<float *> receivedRows_;
  /// The positions a sequence's received sums cover: its block table's.
  int64_t receivedCapacity() const;
  /// Sequence `sequence`'s sums (zeros when new).
  std::vector<float> &receivedOf(int64_t sequence);
  /// receivedRows_ for the call's sequences `rows` (new ones at 0), the
  /// sums of finished ones dropped.
  void prepareReceived(const std::vector<int64_t> &rows);
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_GENERATE_SESSION_H
