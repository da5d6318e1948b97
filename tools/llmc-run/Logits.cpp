//===- Logits.cpp - llmc-run logits: next-token logits of a prompt --------===//
//
// Prints {"logits": [[...], ...]}, one row per prompt position, for
// comparisons with other implementations (with --batch B, the ids are B
// sequences of one length run together, and the rows come per sequence). By
// default one decode call runs the whole prompt; --incremental prefills the
// first token and decodes the others one at a time through the KV cache.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/generate/Session.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace llmc::run {

int logits(const CommonOptions &common, const LogitsOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  int64_t vocab = model->info().vocabSize, batch = options.batch;
  const std::vector<int64_t> &ids = options.promptIds;
  if (batch < 1 || ids.size() % batch != 0)
    return fail("--prompt-ids must hold --batch sequences of one length");
  if (batch > model->info().maxBatch)
    return fail("batch " + std::to_string(batch) +
                " exceeds the artifact's max_batch of " +
                std::to_string(model->info().maxBatch));
  int64_t length = static_cast<int64_t>(ids.size()) / batch;
  runtime::Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(*model, batch);
  if (!created)
    return fail(created.status().message());
  runtime::Session &session = **created;
  // rows[b][t]: the logits of sequence b after its token t.
  std::vector<std::vector<std::vector<float>>> rows(batch);
  auto keep = [&](const runtime::Tensor &logits) {
    int64_t perSequence = logits.elements() / vocab / batch;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < perSequence; ++t) {
        const float *row = logits.as<float>() + (b * perSequence + t) * vocab;
        rows[b].emplace_back(row, row + vocab);
      }
  };
  auto column = [&](int64_t t) {
    std::vector<int64_t> tokens;
    for (int64_t b = 0; b < batch; ++b)
      tokens.push_back(ids[b * length + t]);
    return tokens;
  };
  if (options.incremental) {
    runtime::Expected<runtime::Tensor> first = session.prefill(column(0));
    if (!first)
      return fail(first.status().message());
    keep(*first);
    for (int64_t t = 1; t < length; ++t) {
      runtime::Expected<runtime::Tensor> next = session.decode(column(t));
      if (!next)
        return fail(next.status().message());
      keep(*next);
    }
  } else {
    runtime::Expected<runtime::Tensor> all = session.decode(ids);
    if (!all)
      return fail(all.status().message());
    keep(*all);
  }
  nlohmann::json out;
  out["logits"] = batch == 1 ? nlohmann::json(rows[0]) : nlohmann::json(rows);
  std::cout << out.dump() << "\n";
  return 0;
}

} // namespace llmc::run
