//===- Logits.cpp - llmc-run logits: next-token logits of a prompt --------===//
//
// Prints {"logits": [[...], ...]}, one row per prompt position, for
// comparisons with other implementations (with --batch B, the ids are B
// sequences of one length run together, and the rows come per sequence;
// --prompt-ids-file: one sequence per line, of any lengths over a paged KV
// cache). By default one decode call runs each prompt (a batch of one
// length together); --incremental prefills the first token and decodes
// the others one at a time through the KV cache, the sequences of a paged
// cache each at its own position (a step takes those not yet done).
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/generate/Session.h"
#include "runtime/support/TokenFile.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace llmc::run {

int logits(const CommonOptions &common, const LogitsOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  int64_t vocab = model->info().vocabSize;
  std::vector<std::vector<int64_t>> prompts;
  if (!options.promptsFile.empty()) {
    runtime::Expected<runtime::TokenSequences> read =
        runtime::readTokenFile(options.promptsFile);
    if (!read)
      return fail(read.status().message());
    prompts = std::move(*read);
  } else {
    const std::vector<int64_t> &ids = options.promptIds;
    const int64_t batch = options.batch;
    if (batch < 1 || ids.empty() || ids.size() % batch != 0)
      return fail("--prompt-ids must hold --batch sequences of one length");
    const size_t length = ids.size() / size_t(batch);
    for (size_t b = 0; b < size_t(batch); ++b)
      prompts.emplace_back(ids.begin() + b * length,
                           ids.begin() + (b + 1) * length);
  }
  const int64_t batch = int64_t(prompts.size());
  if (batch > model->info().maxBatch)
    return fail("batch " + std::to_string(batch) +
                " exceeds the artifact's max_batch of " +
                std::to_string(model->info().maxBatch));
  bool oneLength = true;
  for (const std::vector<int64_t> &prompt : prompts) {
    if (prompt.empty())
      return fail("an empty prompt: give at least one token");
    oneLength = oneLength && prompt.size() == prompts[0].size();
  }
  runtime::Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(*model, batch, common.session());
  if (!created)
    return fail(created.status().message());
  runtime::Session &session = **created;
  const bool paged = session.kvBlocks() != nullptr;
  if (!oneLength && !paged)
    return fail("prompts of different lengths run together over a paged KV "
                "cache (compile with --kv-layout paged)");
  // rows[b][t]: the logits of sequence b after its token t.
  std::vector<std::vector<std::vector<float>>> rows(batch);
  // `logits` [sequences, tokens, vocab] of sequences `which`.
  auto keep = [&](const runtime::Tensor &logits,
                  const std::vector<int64_t> &which) {
    int64_t perSequence = logits.elements() / vocab / int64_t(which.size());
    for (size_t i = 0; i < which.size(); ++i)
      for (int64_t t = 0; t < perSequence; ++t) {
        const float *row =
            logits.as<float>() + (int64_t(i) * perSequence + t) * vocab;
        rows[which[i]].emplace_back(row, row + vocab);
      }
  };
  std::vector<int64_t> all;
  for (int64_t b = 0; b < batch; ++b)
    all.push_back(b);
  // Token t of the sequences longer than t (paged: each at its own
  // position; contiguous: every sequence).
  auto column = [&](size_t t, std::vector<int64_t> &which) {
    std::vector<int64_t> tokens;
    which.clear();
    for (int64_t b = 0; b < batch; ++b)
      if (prompts[b].size() > t) {
        which.push_back(b);
        tokens.push_back(prompts[b][t]);
      }
    return tokens;
  };
  std::vector<int64_t> which;
  if (options.incremental) {
    std::vector<int64_t> firsts = column(0, which);
    std::vector<std::vector<int64_t>> starts;
    for (int64_t id : firsts)
      starts.push_back({id});
    runtime::Expected<runtime::Tensor> first = session.prefillEach(starts);
    if (!first)
      return fail(first.status().message());
    keep(*first, all);
    for (size_t t = 1;; ++t) {
      std::vector<int64_t> tokens = column(t, which);
      if (tokens.empty())
        break;
      runtime::Expected<runtime::Tensor> next =
          paged ? session.appendRows(which, tokens) : session.decode(tokens);
      if (!next)
        return fail(next.status().message());
      keep(*next, which);
    }
  } else if (oneLength) {
    std::vector<int64_t> ids;
    for (const std::vector<int64_t> &prompt : prompts)
      ids.insert(ids.end(), prompt.begin(), prompt.end());
    runtime::Expected<runtime::Tensor> whole = session.decode(ids);
    if (!whole)
      return fail(whole.status().message());
    keep(*whole, all);
  } else {
    for (int64_t b = 0; b < batch; ++b) {
      runtime::Expected<runtime::Tensor> one =
          session.appendRows({b}, prompts[b]);
      if (!one)
        return fail(one.status().message());
      keep(*one, {b});
    }
  }
  nlohmann::json out;
  out["logits"] = batch == 1 && options.promptsFile.empty()
                      ? nlohmann::json(rows[0])
                      : nlohmann::json(rows);
  std::cout << out.dump() << "\n";
  return 0;
}

} // namespace llmc::run
