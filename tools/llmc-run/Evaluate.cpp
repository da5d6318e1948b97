//===- Evaluate.cpp - llmc-run eval: perplexity of a text -----------------===//
//
// Each passage of the file (the text between "\n\n" separators) is
// scored as BOS + its tokens + EOS, cut to the artifact's max_seq: the mean
// negative log-likelihood of every token after the first, given the ones
// before it, over all passages; perplexity is its exponential.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/generate/Session.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace llmc::run {

using runtime::Expected;

namespace {

/// The passages of `text`: the pieces between "\n\n" separators, as they
/// are (the last keeps the file's final newline), skipping blank ones.
std::vector<std::string> passages(const std::string &text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find("\n\n", begin);
    std::string piece =
        text.substr(begin, end == std::string::npos ? end : end - begin);
    if (piece.find_first_not_of(" \t\r\n") != std::string::npos)
      out.push_back(piece);
    if (end == std::string::npos)
      break;
    begin = end + 2;
  }
  return out;
}

} // namespace

int evaluate(const CommonOptions &common, const EvalOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  const runtime::ModelInfo &info = model->info();
  Expected<runtime::Tokenizer> tokenizer =
      runtime::Tokenizer::load(options.tokenizer);
  if (!tokenizer)
    return fail(tokenizer.status().message());
  if (tokenizer->bosId() < 0 || tokenizer->eosId() < 0)
    return fail(options.tokenizer + ": the tokenizer defines no BOS or EOS");
  std::ifstream file(options.textFile, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  if (!file)
    return fail("cannot read " + options.textFile);

  runtime::Session session(*model);
  double nll = 0;
  int64_t scored = 0, count = 0;
  for (const std::string &passage : passages(buffer.str())) {
    Expected<std::vector<int64_t>> encoded = tokenizer->encode(passage);
    if (!encoded)
      return fail(encoded.status().message());
    std::vector<int64_t> ids = {tokenizer->bosId()};
    ids.insert(ids.end(), encoded->begin(), encoded->end());
    ids.push_back(tokenizer->eosId());
    if (static_cast<int64_t>(ids.size()) > info.maxSeq)
      ids.resize(info.maxSeq);
    session.reset();
    Expected<runtime::Tensor> logits = session.decode(ids);
    if (!logits)
      return fail(logits.status().message());
    int64_t vocab = info.vocabSize;
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
      const float *row = logits->as<float>() + t * vocab;
      double peak = row[0];
      for (int64_t v = 1; v < vocab; ++v)
        peak = std::max<double>(peak, row[v]);
      double sum = 0;
      for (int64_t v = 0; v < vocab; ++v)
        sum += std::exp(row[v] - peak);
      nll += std::log(sum) + peak - row[ids[t + 1]];
      ++scored;
    }
    ++count;
  }
  if (scored == 0)
    return fail(options.textFile + " has no passage to score");
  double perplexity = std::exp(nll / scored);
  if (common.json) {
    nlohmann::json out;
    out["passages"] = count;
    out["tokens_scored"] = scored;
    out["mean_nll"] = nll / scored;
    out["perplexity"] = perplexity;
    out["peak_rss_bytes"] = peakRssBytes();
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("perplexity %.4f over %lld tokens in %lld passages (mean NLL "
              "%.5f)\n",
              perplexity, static_cast<long long>(scored),
              static_cast<long long>(count), nll / scored);
  return 0;
}

} // namespace llmc::run
