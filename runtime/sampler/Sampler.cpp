//===- Sampler.cpp - greedy, temperature, top-k and top-p sampling --------===//

#include "runtime/sampler/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace llmc::runtime {

Expected<Sampler> Sampler::create(const SamplingParams &params) {
  if (!(params.temperature >= 0.0f) || std::isinf(params.temperature))
    return Status::error("temperature must be a finite number >= 0, got " +
                         std::to_string(params.temperature));
  if (params.topK < 0)
    return Status::error("top-k must be >= 0 (0: off), got " +
                         std::to_string(params.topK));
  if (!(params.topP > 0.0f && params.topP <= 1.0f))
    return Status::error("top-p must be in (0, 1], got " +
                         std::to_string(params.topP));
  return Sampler(params);
}

std::vector<double> Sampler::distribution(const float *logits,
                                          size_t vocab) const {
  std::vector<double> probs(vocab, 0.0);
  if (vocab == 0)
    return probs;
  if (params_.temperature == 0.0f) {
    probs[std::max_element(logits, logits + vocab) - logits] = 1.0;
    return probs;
  }
  // Tokens by decreasing logit (ties: lower id first), then the kept prefix.
  std::vector<size_t> order(vocab);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return logits[a] > logits[b]; });
  size_t kept = vocab;
  if (params_.topK > 0)
    kept = std::min(kept, static_cast<size_t>(params_.topK));
  double top = logits[order[0]] / double(params_.temperature);
  double total = 0.0;
  for (size_t i = 0; i < kept; ++i) {
    double p = std::exp(logits[order[i]] / double(params_.temperature) - top);
    probs[order[i]] = p;
    total += p;
  }
  // Top-p over the top-k renormalized: the shortest prefix reaching p.
  if (params_.topP < 1.0f) {
    double running = 0.0;
    size_t nucleus = 0;
    while (nucleus < kept) {
      running += probs[order[nucleus]] / total;
      ++nucleus;
      if (running >= params_.topP)
        break;
    }
    for (size_t i = nucleus; i < kept; ++i)
      probs[order[i]] = 0.0;
    kept = nucleus;
    total = 0.0;
    for (size_t i = 0; i < kept; ++i)
      total += probs[order[i]];
  }
  for (size_t i = 0; i < kept; ++i)
    probs[order[i]] /= total;
  return probs;
}

int64_t Sampler::sample(const float *logits, size_t vocab) {
  std::vector<double> probs = distribution(logits, vocab);
  if (params_.temperature == 0.0f)
    return std::max_element(probs.begin(), probs.end()) - probs.begin();
  // A uniform variate in [0, 1) from the top 53 bits of one draw.
  double u = double(engine_() >> 11) * 0x1.0p-53;
  double running = 0.0;
  int64_t last = 0;
  for (size_t i = 0; i < vocab; ++i) {
    if (probs[i] == 0.0)
      continue;
    running += probs[i];
    last = static_cast<int64_t>(i);
    if (u < running)
      return last;
  }
  return last; // rounding left u just above the running total
}

} // namespace llmc::runtime
