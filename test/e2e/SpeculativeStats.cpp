//===- SpeculativeStats.cpp - speculative sampling's losslessness, measured
//===//
//
// llmc-speculative-stats ARTIFACT --prompt-ids IDS [--samples N]
//     [--draft-tokens K] [--temperature T] [--top-k K] [--top-p P]
//     [--seed S] [--fault none|residual-from-target|accept-with-p]
//
// For an artifact compiled with a draft: the next two tokens after the
// prompt, generated N times by the speculative decoder (k drafts per
// verify call, every sequence of the artifact's batch a sample), against
// the exact distribution p(x1) p(x2 | x1) the target's logits give under
// the same sampling parameters. Chi-square over the cells expecting 5 or
// more, at the 0.1 % level (Wilson-Hilferty's quantile): prints the figures
// and PASS, exit 0, or FAIL, exit 1. --fault breaks the acceptance rule on
// purpose, to show the test catches it (test/e2e/speculative-lossless.test).
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Session.h"
#include "runtime/speculative/SpeculativeDecoder.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <map>

using namespace llmc::runtime;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "llmc-speculative-stats: error: %s\n", message.c_str());
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"speculative sampling against the target's exact "
               "distribution of the next two tokens"};
  std::string path, fault = "none";
  std::vector<int64_t> prompt;
  int64_t samples = 20000, draftTokens = 4;
  SamplingParams sampling;
  sampling.temperature = 1.0f;
  sampling.seed = 1;
  app.add_option("artifact", path)->required()->check(CLI::ExistingFile);
  app.add_option("--prompt-ids", prompt)->required()->delimiter(',');
  app.add_option("--samples", samples);
  app.add_option("--draft-tokens", draftTokens);
  app.add_option("--temperature", sampling.temperature);
  app.add_option("--top-k", sampling.topK);
  app.add_option("--top-p", sampling.topP);
  app.add_option("--seed", sampling.seed);
  app.add_option("--fault", fault)
      ->check(CLI::IsMember({"none", "residual-from-target", "accept-with-p"}));
  CLI11_PARSE(app, argc, argv);

  Expected<std::unique_ptr<Model>> model = Model::load(path, 0);
  if (!model)
    return fail(model.status().message());
  const ModelInfo &info = (*model)->info();
  const int64_t batch = info.maxBatch;
  Expected<Sampler> sampler = Sampler::create(sampling);
  if (!sampler)
    return fail(sampler.status().message());

  // The exact distribution: p(x1) from the prompt, then p(x2 | x1) for
  // every x1 some cell of which can expect 5 samples.
  Expected<std::unique_ptr<Session>> exact = Session::create(**model, 1);
  if (!exact)
    return fail(exact.status().message());
  Expected<Tensor> first = (*exact)->prefill(prompt);
  if (!first)
    return fail(first.status().message());
  const int64_t vocab = first->shape.back();
  std::vector<double> p1 =
      sampler->distribution(first->as<float>(), static_cast<size_t>(vocab));
  std::map<int64_t, std::vector<double>> p2;
  for (int64_t x1 = 0; x1 < vocab; ++x1) {
    if (p1[x1] * double(samples) < 5.0)
      continue;
    Expected<Tensor> next =
        (*exact)->verify({x1}, {static_cast<int64_t>(prompt.size())});
    if (!next)
      return fail(next.status().message());
    p2[x1] =
        sampler->distribution(next->as<float>(), static_cast<size_t>(vocab));
  }

  // The speculative samples, `batch` per generation.
  SpeculativeOptions options;
  options.draftTokens = draftTokens;
  options.adaptive = false;
  options.measurePlainFirst = false;
  options.maxTokens = 2;
  options.draftPastBudget = true; // every step drafts k
  options.sampling = sampling;
  options.fault = fault == "residual-from-target"
                      ? AcceptanceFault::residualFromTarget
                  : fault == "accept-with-p" ? AcceptanceFault::acceptWithP
                                             : AcceptanceFault::none;
  Expected<std::unique_ptr<Session>> session = Session::create(**model, batch);
  if (!session)
    return fail(session.status().message());
  std::map<std::pair<int64_t, int64_t>, int64_t> counts;
  int64_t drawn = 0, drafted = 0, accepted = 0;
  for (uint64_t round = 0; drawn < samples; ++round) {
    options.sampling.seed = sampling.seed * 1000003u + round;
    Expected<std::unique_ptr<SpeculativeDecoder>> decoder =
        SpeculativeDecoder::create(**session, options);
    if (!decoder)
      return fail(decoder.status().message());
    Expected<std::vector<std::vector<int64_t>>> out = (*decoder)->generate(
        std::vector<std::vector<int64_t>>(batch, prompt), nullptr);
    if (!out)
      return fail(out.status().message());
    for (const std::vector<int64_t> &ids : *out)
      if (ids.size() >= 2 && drawn < samples) {
        counts[{ids[0], ids[1]}] += 1;
        ++drawn;
      }
    drafted += (*decoder)->stats().drafted;
    accepted += (*decoder)->stats().accepted;
  }

  double statistic = 0.0, covered = 0.0;
  int64_t cells = 0;
  for (const auto &[x1, row] : p2)
    for (int64_t x2 = 0; x2 < vocab; ++x2) {
      double expected = double(samples) * p1[x1] * row[x2];
      if (expected < 5.0)
        continue;
      double d = double(counts[{x1, x2}]) - expected;
      statistic += d * d / expected;
      covered += p1[x1] * row[x2];
      ++cells;
    }
  // The cells with too little mass, pooled into one.
  double restExpected = double(samples) * (1.0 - covered);
  double restCount = double(samples);
  for (const auto &[x1, row] : p2)
    for (int64_t x2 = 0; x2 < vocab; ++x2)
      if (double(samples) * p1[x1] * row[x2] >= 5.0)
        restCount -= double(counts[{x1, x2}]);
  if (restExpected >= 5.0) {
    double d = restCount - restExpected;
    statistic += d * d / restExpected;
    ++cells;
  }
  double df = double(cells - 1), z = 3.0902; // 99.9 % normal quantile
  double critical =
      df *
      std::pow(1.0 - 2.0 / (9.0 * df) + z * std::sqrt(2.0 / (9.0 * df)), 3.0);
  bool pass = statistic < critical;
  std::printf("%lld samples, k %lld, temperature %g, top-k %lld, top-p %g, "
              "fault %s: acceptance %.3f (%lld of %lld drafted); %lld cells "
              "(%.1f %% of the mass, the rest pooled), chi-square %.1f, "
              "critical value at 0.1 %% %.1f: %s\n",
              static_cast<long long>(samples),
              static_cast<long long>(draftTokens), sampling.temperature,
              static_cast<long long>(sampling.topK), sampling.topP,
              fault.c_str(), drafted ? double(accepted) / double(drafted) : 0.0,
              static_cast<long long>(accepted), static_cast<long long>(drafted),
              static_cast<long long>(cells), 100.0 * covered, statistic,
              critical, pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
