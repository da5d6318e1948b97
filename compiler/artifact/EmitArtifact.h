//===- EmitArtifact.h - a planned module written as a .llmc artifact ------===//
//
// The last step of `llmc compile`: the entry points of a module lowered to
// `plan` and memory-planned become the artifact's "plan" section, each
// distinct weight its own checksummed section (docs/artifact-format.md).
// The batch comes from plan-memory (`plan.max_batch`), the target from
// `llmc.target` (default cpu) and further sections, written as they are,
// from `llmc.sections` (plan-cuda-codegen's fatbin and source).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_ARTIFACT_EMITARTIFACT_H
#define LLMC_COMPILER_ARTIFACT_EMITARTIFACT_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace llmc {

struct ArtifactOptions {
  std::string producer;
  int64_t bosId = -1;
  std::vector<int64_t> eosIds;
  /// Leave the float and quantized weights out: a shape-only artifact the
  /// runtime fills with deterministic pseudo-random weights at load.
  bool dummyWeights = false;
  /// The draft of a module with @verify (llmc compile --draft): what the
  /// flag said, and n for n-gram lookup.
  std::string draftSource;
  int64_t ngram = 0;
  /// A draft model, planned like the target (with @verify): its entry
  /// points go into the "draft plan" section, its sections (CUDA's) get a
  /// "draft " prefix, and weight sections with the target's bytes are
  /// shared.
  mlir::ModuleOp draft;
  /// Tensor parallelism (llmc compile --tp): ranks 1.. of the module's
  /// (which is rank 0's), planned alike; their plans go into the "rank r
  /// plan" sections, their weights where the bytes differ from every
  /// other rank's into sections of their own.
  std::vector<mlir::ModuleOp> ranks;
  /// Sections written as they are, by name: the tokenizer and chat
  /// template of llmc compile --tokenizer / --chat-template.
  std::vector<std::pair<std::string, std::string>> files;
};

struct ArtifactSummary {
  int64_t weightBytes = 0, weightTensors = 0, parameters = 0;
  int64_t peakActivationBytes = 0, cacheBytesPerSequence = 0;
  /// Besides the activations, what each worker thread of the CPU kernels
  /// needs.
  int64_t workerScratchBytes = 0;
  int64_t steps = 0;
  /// The batch memory was planned for, and the KV cache's positions (0
  /// without a cache).
  int64_t maxBatch = 1, maxSeq = 0;
  /// A paged KV cache's tokens per block (0: contiguous), and a block's
  /// bytes.
  int64_t cacheBlockTokens = 0, cacheBlockBytes = 0;
  /// Eviction (llmc compile --kv-window): the policy (empty: none), the
  /// window and the sinks.
  std::string cacheEvict;
  int64_t cacheWindow = 0, cacheSinks = 0;
  /// The most drafted tokens @verify takes (0: no @verify), and a draft
  /// model's KV cache per sequence.
  int64_t draftTokens = 0, draftCacheBytesPerSequence = 0;
  /// "prefill and decode", or the entry points' names.
  std::string entries;
};

/// Writes `module` (after llmc-lower-to-plan and plan-memory) to `path`
/// through a temporary file; errors are reported as diagnostics.
mlir::LogicalResult emitArtifact(mlir::ModuleOp module,
                                 const ArtifactOptions &options,
                                 const std::string &path,
                                 ArtifactSummary *summary = nullptr);

} // namespace llmc

#endif // LLMC_COMPILER_ARTIFACT_EMITARTIFACT_H
