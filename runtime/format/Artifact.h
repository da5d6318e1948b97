//===- Artifact.h - the .llmc file: writing, and mapping it back ----------===//
//
// The artifact is the only contract between compiler and runtime
// (docs/artifact-format.md): a 64-byte header (magic, format version, where
// the manifest is), 64-byte aligned sections (weights, plan), and a
// FlatBuffers manifest naming each section with its XXH3-64 checksum.
// Writers go through a temporary file renamed into place, so a killed
// compile leaves no artifact behind; readers load the file (into huge
// pages where they can, else mapped) and check every bound and checksum
// before handing out a byte.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_ARTIFACT_H
#define LLMC_RUNTIME_FORMAT_ARTIFACT_H

#include "runtime/format/Status.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llmc::runtime {

/// The newest format version this code reads and the one it writes.
constexpr uint32_t kArtifactFormatVersion = 1;
/// Sections start at multiples of this many bytes.
constexpr uint64_t kArtifactAlignment = 64;

/// The KV cache tensor [layers, 2, batch, kvHeads, slots, headDim]: slots
/// is max_seq, or the sliding window when every layer has one (a ring,
/// position p in slot p % slots).
/// How a paged cache makes room for unbounded generation (artifact.fbs:
/// KvEviction); none when `policy` is empty.
struct KvEviction {
  /// "window": the first `sinks` tokens and the latest ones stay. "h2o":
  /// the latest window / 2 and, of the others, those that received the
  /// most attention (summed over the queries that saw them), per layer and
  /// kv head; sinks + window tokens in all (KvCompaction.h).
  std::string policy;
  int64_t window = 0, sinks = 0;
  /// The keys' RoPE: pairs (0 interleaved, 1 half), the rotated features
  /// and cos/sin tables [max_seq, rotaryDim / 2].
  int32_t ropePairs = 0;
  int64_t rotaryDim = 0;
  std::vector<float> ropeCos, ropeSin;

  bool any() const { return !policy.empty(); }
  /// The most tokens a sequence holds.
  int64_t budget() const { return sinks + window; }
};

struct CacheInfo {
  std::string layout;
  int64_t layers = 0, kvHeads = 0, headDim = 0, slots = 0;
  /// A format::DType value.
  int32_t dtype = 0;
  /// Paged: tokens per block (a power of two); 0: contiguous.
  int64_t blockTokens = 0;
  KvEviction eviction;

  bool paged() const { return blockTokens > 0; }
  /// int8 or fp8 codes: each block plane has one more row, for its scale
  /// (kernels/common/KvQuant.h).
  bool quantized() const {
    return dtype == 5 /* i8 */ || dtype == 8 /* f8e4m3 */;
  }
  /// A paged cache's block: its slots of every layer, keys and values.
  std::vector<int64_t> blockShape() const {
    return {1,      layers, 2, kvHeads, blockTokens + (quantized() ? 1 : 0),
            headDim};
  }
};

/// Speculative decoding (artifact.fbs: Speculative): none when
/// draftTokens is 0.
struct SpeculativeInfo {
  int64_t draftTokens = 0;
  std::string source;
  /// N-gram lookup drafts with the last `ngram` tokens (0: not n-gram).
  int64_t ngram = 0;
  /// A draft model (the "draft plan" section): its vocabulary, positions
  /// and KV cache.
  int64_t draftVocabSize = 0, draftMaxSeq = 0;
  CacheInfo draftCache;
  bool draftModel() const { return draftVocabSize > 0; }
};

struct ModelInfo {
  int64_t vocabSize = 0;
  int64_t bosId = -1;
  std::vector<int64_t> eosIds;
  int64_t maxSeq = 0;
  int64_t maxBatch = 1;
  CacheInfo cache;
  SpeculativeInfo speculative;
  /// Tensor-parallel ranks and pipeline stages: rank r (tensor-parallel
  /// rank r % tp of stage r / tp) runs planSection(r) over its stage's
  /// KV cache, stageCaches[r / tp] (empty when pp is 1; `cache` is stage
  /// 0's).
  int64_t tp = 1, pp = 1;
  std::vector<CacheInfo> stageCaches;

  int64_t ranks() const { return tp * pp; }
  int64_t stageOf(int64_t rank) const { return rank / tp; }
  bool lastStage(int64_t rank) const { return stageOf(rank) == pp - 1; }

  /// The section holding rank `rank`'s plan.
  static std::string planSection(int64_t rank) {
    return rank == 0 ? "plan" : "rank " + std::to_string(rank) + " plan";
  }

  /// Sections for serving text (llmc compile --tokenizer,
  /// --chat-template): the SentencePiece model's bytes, and the chat
  /// template's source (runtime/serve/ChatTemplate.h).
  static constexpr const char *kTokenizerSection = "tokenizer";
  /// tokenizer_config.json, beside a tokenizer.json (its special tokens).
  static constexpr const char *kTokenizerConfigSection = "tokenizer config";
  static constexpr const char *kChatTemplateSection = "chat template";

  /// The KV cache's shape for `batch` sequences.
  std::vector<int64_t> cacheShape(int64_t batch) const {
    return {cache.layers, 2, batch, cache.kvHeads, cache.slots, cache.headDim};
  }
};

/// A read-only view of a section's bytes (valid while its Artifact lives).
struct Bytes {
  const uint8_t *data = nullptr;
  size_t size = 0;
};

class ArtifactWriter {
public:
  ArtifactWriter(std::string producer, std::string target, ModelInfo model);

  /// Records that the plan's float and quantized weights were left out
  /// (`llmc compile --dummy-weights`).
  void markDummyWeights() { dummyWeights_ = true; }

  /// Adds a section whose bytes stay owned by the caller until write().
  Status addSection(std::string name, const void *data, size_t size);

  /// Writes the artifact to `path` through a temporary file in the same
  /// folder, renamed into place once complete and synced.
  Status write(const std::string &path) const;

private:
  struct PendingSection {
    std::string name;
    const void *data;
    size_t size;
  };
  std::string producer_, target_;
  ModelInfo model_;
  std::vector<PendingSection> sections_;
  bool dummyWeights_ = false;
};

/// When Artifact::open verifies a section's checksum: at once, or when
/// section() first returns it (a rank of a sharded run reads only its own
/// plan's sections, and leaves the other ranks' pages unread).
enum class SectionChecks { atOpen, onFirstRead };

class Artifact {
public:
  /// Maps `path` and verifies the header, the manifest and the sections'
  /// places in the file; each section's checksum as `checks` says.
  static Expected<Artifact> open(const std::string &path,
                                 SectionChecks checks = SectionChecks::atOpen);

  Artifact(Artifact &&) noexcept;
  Artifact &operator=(Artifact &&) noexcept;
  ~Artifact();

  uint32_t formatVersion() const { return formatVersion_; }
  const std::string &producer() const { return producer_; }
  const std::string &target() const { return target_; }
  const ModelInfo &model() const { return model_; }
  const std::vector<std::string> &sectionNames() const { return names_; }
  bool hasSection(const std::string &name) const {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
  }
  /// Whether the weights were left out at compile time (Program::load
  /// fills them).
  bool dummyWeights() const { return dummyWeights_; }

  /// A section's bytes, or an error naming the missing section (or, the
  /// first time with SectionChecks::onFirstRead, a corrupted one). Not
  /// to be called from several threads before each section has been
  /// returned once.
  Expected<Bytes> section(const std::string &name) const;

private:
  Artifact() = default;
  struct Mapping;
  std::unique_ptr<Mapping> mapping_;
  uint32_t formatVersion_ = 0;
  std::string producer_, target_;
  ModelInfo model_;
  std::string path_;
  std::vector<std::string> names_;
  std::vector<Bytes> sections_;
  std::vector<uint64_t> hashes_;
  /// Per section: its checksum is still to be verified.
  mutable std::vector<bool> unchecked_;
  bool dummyWeights_ = false;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_FORMAT_ARTIFACT_H
