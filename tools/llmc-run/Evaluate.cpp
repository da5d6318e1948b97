//===- Evaluate.cpp - llmc-run eval: perplexity, and agreement with a ref -===//
//
// The sequences are either the passages of a text (each between "\n\n"
// separators, scored as BOS + its tokens + EOS) or the lines of a token-id
// file, each cut to the artifact's max_seq. Perplexity is the exponential
// of the mean negative log-likelihood of every token after the first,
// given the ones before it. With a reference artifact (--ref, typically the
// fp32 model of a quantized one), the same positions also give the mean
// KL divergence KL(reference || model) of the next-token distributions and
// how often their most likely tokens agree. With --incremental each token
// goes through its own decode step, as in generation (whose kernels may
// differ from those of a many-token call: quantized weights meet int8
// activations there on VNNI CPUs). With --stream the sequences are
// joined into one, each scored after all before it (the same targets: a
// passage's first token is not predicted); an artifact that evicts
// (--kv-window) scores a stream longer than max_seq.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/format/Progress.h"
#include "runtime/generate/Session.h"
#include "runtime/sampler/LogSoftmax.h"
#include "runtime/support/TokenFile.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace llmc::run {

using runtime::Expected;
using runtime::logSoftmax;

namespace {

/// The sequences to score, as the options describe them.
Expected<runtime::TokenSequences>
evaluationSequences(const EvalOptions &options) {
  if (!options.idsFile.empty())
    return runtime::readTokenFile(options.idsFile);
  Expected<runtime::Tokenizer> tokenizer =
      runtime::Tokenizer::load(options.tokenizer);
  if (!tokenizer)
    return tokenizer.status();
  if (tokenizer->bosId() < 0 || tokenizer->eosId() < 0)
    return runtime::Status::error(options.tokenizer +
                                  ": the tokenizer defines no BOS or EOS");
  std::ifstream file(options.textFile, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  if (!file)
    return runtime::Status::error("cannot read " + options.textFile);
  runtime::TokenSequences sequences;
  for (const std::string &passage : runtime::textPassages(buffer.str())) {
    Expected<std::vector<int64_t>> encoded = tokenizer->encode(passage);
    if (!encoded)
      return encoded.status();
    std::vector<int64_t> ids = {tokenizer->bosId()};
    ids.insert(ids.end(), encoded->begin(), encoded->end());
    ids.push_back(tokenizer->eosId());
    sequences.push_back(std::move(ids));
  }
  return sequences;
}

/// The logits of every position of `ids` [tokens, vocab]: in one call from
/// position 0, or (incremental) one decode step per token, as generation
/// runs.
Expected<std::vector<float>> sequenceLogits(runtime::Session &session,
                                            const std::vector<int64_t> &ids,
                                            bool incremental) {
  session.reset();
  std::vector<float> out;
  for (size_t t = 0; t < ids.size();) {
    size_t count = incremental ? 1 : ids.size();
    Expected<runtime::Tensor> logits = session.decode(
        std::vector<int64_t>(ids.begin() + t, ids.begin() + t + count));
    if (!logits)
      return logits.status();
    out.insert(out.end(), logits->as<float>(),
               logits->as<float>() + logits->elements());
    t += count;
  }
  return out;
}

int64_t argmax(const std::vector<double> &values) {
  return std::max_element(values.begin(), values.end()) - values.begin();
}

} // namespace

int evaluate(const CommonOptions &common, const EvalOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  std::unique_ptr<runtime::Model> reference;
  if (!options.reference.empty()) {
    CommonOptions referenceOptions = common;
    referenceOptions.artifact = options.reference;
    reference = loadModel(referenceOptions, true);
    if (!reference)
      return 1;
    if (reference->info().vocabSize != model->info().vocabSize)
      return fail("the reference " + options.reference +
                  " has a vocabulary of " +
                  std::to_string(reference->info().vocabSize) + ", the model " +
                  std::to_string(model->info().vocabSize));
  }
  const runtime::ModelInfo &info = model->info();
  Expected<runtime::TokenSequences> sequences = evaluationSequences(options);
  if (!sequences)
    return fail(sequences.status().message());

  Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(*model, 1, common.session());
  if (!created)
    return fail(created.status().message());
  runtime::Session &session = **created;
  std::unique_ptr<runtime::Session> referenceSession;
  if (reference) {
    Expected<std::unique_ptr<runtime::Session>> other =
        runtime::Session::create(*reference, 1,
                                 reference->info().cache.paged()
                                     ? common.session()
                                     : runtime::SessionOptions{});
    if (!other)
      return fail(other.status().message());
    referenceSession = std::move(*other);
  }
  // A stream: one sequence of them all; the positions where one starts are
  // not predicted (each passage's first token, as when scored alone).
  std::vector<bool> unscored;
  const int64_t passages = int64_t(sequences->size());
  if (options.stream) {
    std::vector<int64_t> joined;
    // Each passage cut to max_seq as when scored alone: the same targets.
    for (const std::vector<int64_t> &ids : *sequences) {
      if (!joined.empty() && !ids.empty()) {
        unscored.resize(joined.size() + 1, false);
        unscored[joined.size()] = true;
      }
      joined.insert(joined.end(), ids.begin(),
                    ids.begin() +
                        std::min<int64_t>(int64_t(ids.size()), info.maxSeq));
    }
    unscored.resize(joined.size(), false);
    if (int64_t(joined.size()) > info.maxSeq && !info.cache.eviction.any())
      return fail("a stream of " + std::to_string(joined.size()) +
                  " tokens exceeds the artifact's max_seq of " +
                  std::to_string(info.maxSeq) +
                  " (compile with --kv-layout paged --kv-window W to evict "
                  "past it)");
    *sequences = {std::move(joined)};
  }
  const int64_t vocab = info.vocabSize;
  double nll = 0, kl = 0;
  int64_t scored = 0, count = 0, agree = 0;
  std::vector<double> logProbs, referenceLogProbs;
  runtime::Progress progress("eval", int64_t(sequences->size()), "sequences");
  int64_t run = 0;
  for (std::vector<int64_t> &ids : *sequences) {
    progress.update(run++);
    for (int64_t id : ids)
      if (id >= vocab)
        return fail("token id " + std::to_string(id) +
                    " is outside the vocabulary of " + std::to_string(vocab));
    if (static_cast<int64_t>(ids.size()) > info.maxSeq && !options.stream)
      ids.resize(info.maxSeq);
    if (ids.size() < 2)
      continue;
    Expected<std::vector<float>> logits =
        sequenceLogits(session, ids, options.incremental);
    if (!logits)
      return fail(logits.status().message());
    Expected<std::vector<float>> referenceLogits = std::vector<float>();
    if (referenceSession) {
      referenceLogits =
          sequenceLogits(*referenceSession, ids, options.incremental);
      if (!referenceLogits)
        return fail(options.reference + ": " +
                    referenceLogits.status().message());
    }
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
      if (options.stream && unscored[t + 1])
        continue;
      logSoftmax(logits->data() + t * vocab, vocab, logProbs);
      nll -= logProbs[ids[t + 1]];
      ++scored;
      if (!referenceSession)
        continue;
      logSoftmax(referenceLogits->data() + t * vocab, vocab, referenceLogProbs);
      double divergence = 0;
      for (int64_t v = 0; v < vocab; ++v)
        divergence += std::exp(referenceLogProbs[v]) *
                      (referenceLogProbs[v] - logProbs[v]);
      kl += divergence;
      agree += argmax(logProbs) == argmax(referenceLogProbs);
    }
    ++count;
  }
  progress.complete();
  if (options.stream)
    count = passages;
  if (scored == 0)
    return fail("no sequence of two or more tokens to score");
  double perplexity = std::exp(nll / scored);
  if (common.json) {
    nlohmann::json out;
    out["passages"] = count;
    out["tokens_scored"] = scored;
    out["mean_nll"] = nll / scored;
    out["perplexity"] = perplexity;
    if (reference) {
      out["reference"] = options.reference;
      out["mean_kl"] = kl / scored;
      out["top1_agreement"] = double(agree) / scored;
    }
    out["peak_rss_bytes"] = peakRssBytes();
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("perplexity %.4f over %lld tokens in %lld passages (mean NLL "
              "%.5f)\n",
              perplexity, static_cast<long long>(scored),
              static_cast<long long>(count), nll / scored);
  if (reference)
    std::printf("against %s: mean KL %.6f, top-1 agreement %.2f %% (%lld of "
                "%lld)\n",
                options.reference.c_str(), kl / scored, 100.0 * agree / scored,
                static_cast<long long>(agree), static_cast<long long>(scored));
  return 0;
}

} // namespace llmc::run
