//===- AcceptanceTest.cpp - lossless acceptance of drafted tokens ---------===//
//
// The acceptance rule (runtime/speculative/Acceptance.h) by a statistical
// test that can fail: speculative generation of two tokens from a target
// and a draft whose distributions differ at every prefix must give the
// target's exact joint distribution p(x1) p(x2 | x1), chi-square at the
// 0.1 % level; the same test must reject a rule that draws from p instead
// of norm(max(0, p - q)) after a rejection. Greedy verification keeps
// exactly the drafts that are the target's argmax; n-gram lookup drafts
// what followed the latest earlier occurrence of the suffix.
//
//===----------------------------------------------------------------------===//

#include "runtime/speculative/Acceptance.h"
#include "runtime/speculative/NgramDraft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>

using namespace llmc::runtime;

namespace {

constexpr int64_t kVocab = 5;

/// A distribution over kVocab tokens fixed by `prefix` and `salt`: softmax
/// of pseudo-random logits, one token given no mass (as top-k would), so
/// supports differ between target and draft.
std::vector<double> distributionAt(const std::vector<int64_t> &prefix,
                                   uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ salt;
  for (int64_t t : prefix)
    h = (h ^ uint64_t(t + 1)) * 1099511628211ull;
  std::mt19937_64 engine(h);
  std::vector<double> p(kVocab);
  for (double &x : p)
    x = std::exp(3.0 * (double(engine() >> 11) * 0x1.0p-53));
  p[engine() % kVocab] = 0.0;
  double total = 0;
  for (double x : p)
    total += x;
  for (double &x : p)
    x /= total;
  return p;
}

std::vector<double> target(const std::vector<int64_t> &prefix) {
  return distributionAt(prefix, 1);
}
std::vector<double> draft(const std::vector<int64_t> &prefix) {
  return distributionAt(prefix, 2);
}

/// The chi-square statistic of `counts` (first two tokens, x1 * V + x2)
/// against p(x1) p(x2 | x1) over the cells expecting 5 or more, and the
/// 0.1 % critical value for their degrees of freedom (Wilson-Hilferty).
std::pair<double, double> chiSquare(const std::vector<int64_t> &counts,
                                    int64_t samples) {
  double statistic = 0.0;
  int64_t cells = 0;
  std::vector<double> first = target({});
  for (int64_t a = 0; a < kVocab; ++a) {
    std::vector<double> second = target({a});
    for (int64_t b = 0; b < kVocab; ++b) {
      double expected = samples * first[a] * second[b];
      if (expected < 5.0) {
        EXPECT_EQ(expected == 0.0 ? counts[a * kVocab + b] : 0, 0)
            << "a token pair the target never produces";
        continue;
      }
      double d = counts[a * kVocab + b] - expected;
      statistic += d * d / expected;
      ++cells;
    }
  }
  double df = double(cells - 1), z = 3.0902; // the 99.9 % normal quantile
  double critical =
      df *
      std::pow(1.0 - 2.0 / (9.0 * df) + z * std::sqrt(2.0 / (9.0 * df)), 3.0);
  return {statistic, critical};
}

/// The first two tokens of speculative generation with `k` drafts per
/// verification, `samples` times.
std::vector<int64_t> sampleTwoTokens(int64_t samples, int64_t k,
                                     AcceptanceFault fault) {
  Acceptor acceptor(11);
  std::mt19937_64 drafting(12);
  std::vector<int64_t> counts(kVocab * kVocab, 0);
  for (int64_t n = 0; n < samples; ++n) {
    std::vector<int64_t> sequence;
    while (sequence.size() < 2) {
      std::vector<int64_t> drafted;
      std::vector<std::vector<double>> qs, ps;
      for (int64_t i = 0; i < k; ++i) {
        std::vector<int64_t> at = sequence;
        at.insert(at.end(), drafted.begin(), drafted.end());
        qs.push_back(draft(at));
        ps.push_back(target(at));
        std::discrete_distribution<int64_t> pick(qs.back().begin(),
                                                 qs.back().end());
        drafted.push_back(pick(drafting));
      }
      std::vector<int64_t> at = sequence;
      at.insert(at.end(), drafted.begin(), drafted.end());
      ps.push_back(target(at));
      Verdict verdict = acceptor.accept(drafted, ps, qs, fault);
      EXPECT_GE(verdict.accepted, 0);
      EXPECT_LE(verdict.accepted, k);
      sequence.insert(sequence.end(), drafted.begin(),
                      drafted.begin() + verdict.accepted);
      sequence.push_back(verdict.next);
    }
    counts[sequence[0] * kVocab + sequence[1]] += 1;
  }
  return counts;
}

TEST(Acceptance, TheTargetsJointDistributionOfTwoTokens) {
  const int64_t samples = 40000;
  for (int64_t k : {1, 4}) {
    auto [statistic, critical] =
        chiSquare(sampleTwoTokens(samples, k, AcceptanceFault::none), samples);
    std::cout << "k " << k << ": chi-square " << statistic
              << ", 0.1 % critical value " << critical << "\n";
    EXPECT_LT(statistic, critical)
        << "k " << k << ": chi-square " << statistic << " above the 0.1 % "
        << "critical value " << critical;
  }
}

TEST(Acceptance, TheTestRejectsResamplingFromTheTarget) {
  const int64_t samples = 40000;
  auto [statistic, critical] = chiSquare(
      sampleTwoTokens(samples, 4, AcceptanceFault::residualFromTarget),
      samples);
  std::cout << "drawing from p after a rejection: chi-square " << statistic
            << ", 0.1 % critical value " << critical << "\n";
  EXPECT_GT(statistic, critical)
      << "drawing from p after a rejection went unnoticed: chi-square "
      << statistic << ", critical value " << critical;
}

TEST(Acceptance, GreedyKeepsTheDraftsThatAreTheArgmax) {
  Acceptor acceptor(1);
  auto oneHot = [](int64_t token) {
    std::vector<double> p(kVocab, 0.0);
    p[token] = 1.0;
    return p;
  };
  // The target's argmaxes are 3, 1, 4, 0; the drafts 3, 1, 2.
  std::vector<std::vector<double>> p = {oneHot(3), oneHot(1), oneHot(4),
                                        oneHot(0)};
  Verdict verdict = acceptor.accept({3, 1, 2}, p, {{}, {}, {}});
  EXPECT_EQ(verdict.accepted, 2);
  EXPECT_EQ(verdict.next, 4);
  verdict = acceptor.accept({3, 1, 4}, p, {{}, {}, {}});
  EXPECT_EQ(verdict.accepted, 3);
  EXPECT_EQ(verdict.next, 0) << "the bonus token";
  verdict = acceptor.accept({2, 1, 4}, p, {{}, {}, {}});
  EXPECT_EQ(verdict.accepted, 0);
  EXPECT_EQ(verdict.next, 3);
}

TEST(NgramDraft, ContinuesTheLatestEarlierOccurrence) {
  // "5 6 7" occurs twice; the latest is followed by 9 9.
  std::vector<int64_t> sequence = {1, 5, 6, 7, 8, 2, 5, 6, 7, 9, 9, 3, 5, 6, 7};
  EXPECT_EQ(ngramDraft(sequence, 3, 2), (std::vector<int64_t>{9, 9}));
  EXPECT_EQ(ngramDraft(sequence, 3, 8),
            (std::vector<int64_t>{9, 9, 3, 5, 6, 7}));
  // No earlier "4 7": the suffix "7" alone matches, latest before 4.
  sequence.insert(sequence.end(), {4, 7});
  EXPECT_EQ(ngramDraft(sequence, 2, 1), (std::vector<int64_t>{4}));
  // Nothing recurs.
  EXPECT_TRUE(ngramDraft({1, 2, 3}, 3, 4).empty());
  EXPECT_TRUE(ngramDraft({1}, 3, 4).empty());
}

} // namespace
