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

std::vector<double> Sampler::keptProbabilities(const float *logits,
                                               std::vector<size_t> &order,
                                               double outside) const {
  size_t kept = order.size();
  if (params_.topK > 0)
    kept = std::min(kept, static_cast<size_t>(params_.topK));
  std::vector<double> probs(kept);
  double top = logits[order[0]] / double(params_.temperature);
  double total = outside;
  for (size_t i = 0; i < kept; ++i) {
    probs[i] = std::exp(logits[order[i]] / double(params_.temperature) - top);
    total += probs[i];
  }
  // Top-p over the top-k renormalized: the shortest prefix reaching p.
  if (params_.topP < 1.0f) {
    double running = 0.0;
    size_t nucleus = 0;
    while (nucleus < kept) {
      running += probs[nucleus] / total;
      ++nucleus;
      if (running >= params_.topP)
        break;
    }
    kept = nucleus;
    total = 0.0;
    for (size_t i = 0; i < kept; ++i)
      total += probs[i];
  }
  probs.resize(kept);
  order.resize(kept);
  for (double &p : probs)
    p /= total;
  return probs;
}

/// Positions 0..count-1 of `logits` by decreasing logit, ties by lower
/// `id` (the position itself when ids is null).
static std::vector<size_t> byLogit(const float *logits, const int64_t *ids,
                                   size_t count) {
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (logits[a] != logits[b])
      return logits[a] > logits[b];
    return ids && ids[a] < ids[b];
  });
  return order;
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
  if (params_.topK == 0 && params_.topP >= 1.0f) {
    // The whole softmax: no order needed.
    double top =
        *std::max_element(logits, logits + vocab) / double(params_.temperature);
    double total = 0.0;
    for (size_t i = 0; i < vocab; ++i)
      total += probs[i] =
          std::exp(logits[i] / double(params_.temperature) - top);
    for (double &p : probs)
      p /= total;
    return probs;
  }
  std::vector<size_t> order;
  if (params_.topK > 0 && static_cast<size_t>(params_.topK) < vocab) {
    // Only the top k are ever kept: order them alone (the same tokens in
    // the same order as the full sort: logit, then lower id).
    order.resize(vocab);
    std::iota(order.begin(), order.end(), size_t(0));
    std::partial_sort(order.begin(), order.begin() + params_.topK, order.end(),
                      [&](size_t a, size_t b) {
                        return logits[a] != logits[b] ? logits[a] > logits[b]
                                                      : a < b;
                      });
    order.resize(static_cast<size_t>(params_.topK));
  } else {
    order = byLogit(logits, nullptr, vocab);
  }
  std::vector<double> kept = keptProbabilities(logits, order);
  for (size_t i = 0; i < kept.size(); ++i)
    probs[order[i]] = kept[i];
  return probs;
}

CandidateQuery Sampler::candidateQuery() const {
  CandidateQuery query;
  if (params_.temperature == 0.0f)
    query.k = 1;
  else if (params_.topK > 0)
    query.k = params_.topK;
  else if (params_.topP + kMassMargin < 1.0f)
    query.mass = params_.topP + kMassMargin;
  query.temperature = params_.temperature;
  return query;
}

int64_t Sampler::sampleCandidates(const float *logits, const int64_t *ids,
                                  size_t count, double rest) {
  std::vector<size_t> order = byLogit(logits, ids, count);
  if (params_.temperature == 0.0f)
    return ids[order[0]];
  std::vector<double> kept = keptProbabilities(logits, order, rest);
  // sample() walks the tokens by id: the kept ones in increasing id.
  std::vector<size_t> byId(kept.size());
  std::iota(byId.begin(), byId.end(), size_t(0));
  std::sort(byId.begin(), byId.end(),
            [&](size_t a, size_t b) { return ids[order[a]] < ids[order[b]]; });
  double u = uniform();
  double running = 0.0;
  int64_t last = 0;
  for (size_t i : byId) {
    if (kept[i] == 0.0)
      continue;
    running += kept[i];
    last = ids[order[i]];
    if (u < running)
      return last;
  }
  return last;
}

int64_t Sampler::sample(const float *logits, size_t vocab) {
  std::vector<double> probs = distribution(logits, vocab);
  if (params_.temperature == 0.0f)
    return std::max_element(probs.begin(), probs.end()) - probs.begin();
  double u = uniform();
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
