//===- Logits.cpp - llmc-run logits: next-token logits of a prompt --------===//
//
// Prints {"logits": [[...], ...]}, one row per prompt position, for
// comparisons with other implementations. By default one decode call runs
// the whole prompt; --incremental prefills the first token and decodes the
// others one at a time through the KV cache.
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
  int64_t vocab = model->info().vocabSize;
  runtime::Session session(*model);
  std::vector<std::vector<float>> rows;
  auto keep = [&](const runtime::Tensor &logits) {
    for (int64_t r = 0, n = logits.elements() / vocab; r < n; ++r)
      rows.emplace_back(logits.as<float>() + r * vocab,
                        logits.as<float>() + (r + 1) * vocab);
  };
  const std::vector<int64_t> &ids = options.promptIds;
  if (options.incremental) {
    runtime::Expected<runtime::Tensor> first = session.prefill({ids[0]});
    if (!first)
      return fail(first.status().message());
    keep(*first);
    for (size_t t = 1; t < ids.size(); ++t) {
      runtime::Expected<runtime::Tensor> next = session.decode({ids[t]});
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
  out["logits"] = rows;
  std::cout << out.dump() << "\n";
  return 0;
}

} // namespace llmc::run
