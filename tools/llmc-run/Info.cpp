//===- Info.cpp - llmc-run model.llmc info: what an artifact holds --------===//
//
// Reads the manifest and the plans' values (checksums verified), binds no
// device: a cuda artifact is described on any machine.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/format/WeightSummary.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace llmc::run {
namespace {

std::string cacheText(const runtime::CacheInfo &cache, int64_t maxSeq) {
  std::ostringstream os;
  os << cache.layers << " layers x " << cache.kvHeads << " kv heads x "
     << cache.headDim << ", "
     << runtime::dtypeName(static_cast<runtime::DType>(cache.dtype)) << ", ";
  if (cache.paged())
    os << "paged in blocks of " << cache.blockTokens << " tokens";
  else
    os << "contiguous, " << maxSeq << " positions per sequence";
  if (cache.eviction.any())
    os << ", evicting (" << cache.eviction.policy << ": window "
       << cache.eviction.window << ", sinks " << cache.eviction.sinks << ")";
  return os.str();
}

} // namespace

int info(const CommonOptions &common) {
  runtime::Expected<runtime::Artifact> opened =
      runtime::Artifact::open(common.artifact);
  if (!opened)
    return fail(opened.status().message());
  const runtime::Artifact &artifact = *opened;
  const runtime::ModelInfo &model = artifact.model();
  const std::vector<std::string> &names = artifact.sectionNames();
  uint64_t total = 0;
  for (const std::string &name : names)
    if (runtime::Expected<runtime::Bytes> bytes = artifact.section(name))
      total += bytes->size;

  nlohmann::json out;
  out["artifact"] = common.artifact;
  out["format_version"] = artifact.formatVersion();
  out["producer"] = artifact.producer();
  out["target"] = artifact.target();
  out["vocab_size"] = model.vocabSize;
  out["max_seq"] = model.maxSeq;
  out["max_batch"] = model.maxBatch;
  out["bos_id"] = model.bosId;
  out["eos_ids"] = model.eosIds;
  out["ranks"] = {{"tp", model.tp}, {"pp", model.pp}};
  if (model.cache.layers > 0)
    out["kv_cache"] = cacheText(model.cache, model.maxSeq);
  std::vector<std::string> plans;
  for (int64_t rank = 0; rank < model.ranks(); ++rank)
    plans.push_back(runtime::ModelInfo::planSection(rank));
  if (model.speculative.draftTokens > 0) {
    out["speculative"] = {{"draft", model.speculative.source},
                          {"draft_tokens", model.speculative.draftTokens}};
    if (model.speculative.draftModel())
      plans.push_back("draft plan");
  }
  for (const std::string &plan : plans) {
    runtime::Expected<std::map<std::string, runtime::WeightKind>> weights =
        runtime::summarizeWeights(artifact, plan);
    if (!weights)
      return fail(common.artifact + ": " + weights.status().message());
    for (const auto &[kind, count] : *weights)
      out["weights"][plan][kind] = {{"tensors", count.tensors},
                                    {"bytes", count.bytes}};
  }
  if (artifact.hasSection(runtime::ModelInfo::kTokenizerSection)) {
    runtime::Expected<std::optional<runtime::Tokenizer>> tokenizer =
        runtime::Tokenizer::fromArtifact(artifact, common.artifact);
    if (!tokenizer)
      return fail(tokenizer.status().message());
    out["tokenizer"] = {
        {"kind", (*tokenizer)->kind()},
        {"tokens", (*tokenizer)->vocabSize()},
        {"bos", (*tokenizer)->bosId()},
        {"eos", (*tokenizer)->eosId()},
        {"bytes",
         artifact.section(runtime::ModelInfo::kTokenizerSection)->size}};
  }
  out["chat_template"] =
      artifact.hasSection(runtime::ModelInfo::kChatTemplateSection);
  out["sections"] = {{"count", names.size()}, {"bytes", total}};

  if (common.json) {
    std::cout << out.dump(1) << "\n";
    return 0;
  }
  std::cout << common.artifact << ": llmc artifact, format "
            << artifact.formatVersion() << ", written by "
            << artifact.producer() << ", checksums verified\n";
  std::cout << "  target          " << artifact.target() << "\n";
  std::cout << "  model           vocabulary " << model.vocabSize
            << ", context " << model.maxSeq << ", up to " << model.maxBatch
            << " sequences per call";
  if (model.ranks() > 1)
    std::cout << ", " << model.tp << " tensor-parallel x " << model.pp
              << " pipeline ranks";
  std::cout << "\n";
  if (out.contains("kv_cache"))
    std::cout << "  KV cache        " << out["kv_cache"].get<std::string>()
              << "\n";
  for (const std::string &plan : plans) {
    if (!out.contains("weights") || !out["weights"].contains(plan))
      continue;
    // "weights", "draft weights", "rank 1 weights".
    std::string label =
        plan.substr(0, plan.size() - std::string("plan").size()) + "weights";
    label.resize(std::max<size_t>(label.size() + 1, 16), ' ');
    std::cout << "  " << label;
    const char *separator = "";
    for (const auto &[kind, count] : out["weights"][plan].items()) {
      std::cout << separator << count["tensors"].get<int64_t>() << " " << kind
                << " (" << runtime::mebibytes(count["bytes"].get<uint64_t>())
                << ")";
      separator = ", ";
    }
    std::cout << "\n";
  }
  if (out.contains("speculative"))
    std::cout << "  speculative     draft " << model.speculative.source << ", "
              << model.speculative.draftTokens << " tokens at most\n";
  std::cout << "  tokenizer       "
            << (out.contains("tokenizer")
                    ? out["tokenizer"]["kind"].get<std::string>() + ", " +
                          std::to_string(
                              out["tokenizer"]["tokens"].get<int64_t>()) +
                          " tokens, " +
                          runtime::mebibytes(
                              out["tokenizer"]["bytes"].get<uint64_t>())
                    : std::string("none (give --tokenizer, or compile with "
                                  "--tokenizer)"))
            << "\n";
  std::cout << "  chat template   "
            << (out["chat_template"].get<bool>() ? "yes" : "none") << "\n";
  std::cout << "  sections        " << names.size() << ", "
            << runtime::mebibytes(total) << "\n";
  return 0;
}

} // namespace llmc::run
