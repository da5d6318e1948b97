//===- SamplerTest.cpp - sampling frequencies and determinism -------------===//

#include "runtime/sampler/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace llmc::runtime;

namespace {

Sampler make(const SamplingParams &params) {
  Expected<Sampler> sampler = Sampler::create(params);
  EXPECT_TRUE(sampler.ok()) << sampler.status().message();
  return std::move(sampler.value());
}

// Sorted by decreasing logit, so the intended distribution below is easy to
// write down independently of the sampler's code.
const std::vector<float> kLogits = {2.0f, 1.5f,  1.0f,  0.5f,
                                    0.0f, -0.5f, -1.0f, -3.0f};

/// softmax(logits / t) over the first k, then the shortest prefix whose
/// mass reaches p, renormalized.
std::vector<double> intended(double t, size_t k, double p) {
  std::vector<double> probs(kLogits.size(), 0.0);
  double total = 0.0;
  for (size_t i = 0; i < k; ++i)
    total += probs[i] = std::exp(kLogits[i] / t);
  double running = 0.0;
  size_t kept = 0;
  while (kept < k && running < p)
    running += probs[kept++] / total;
  double keptTotal = 0.0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (i >= kept)
      probs[i] = 0.0;
    keptTotal += probs[i];
  }
  for (double &q : probs)
    q /= keptTotal;
  return probs;
}

/// Pearson's chi-square of `counts` against `probs` (cells with p > 0).
double chiSquare(const std::vector<int> &counts,
                 const std::vector<double> &probs, int draws, int &cells) {
  double statistic = 0.0;
  cells = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] == 0.0)
      continue;
    double expected = probs[i] * draws;
    statistic += (counts[i] - expected) * (counts[i] - expected) / expected;
    ++cells;
  }
  return statistic;
}

// Upper 0.1% points of the chi-square distribution, by degrees of freedom.
const double kCritical[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46};

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  Sampler sampler = make({});
  std::vector<float> logits = {0.1f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(sampler.sample(logits.data(), logits.size()), 1);
}

TEST(Sampler, FrequenciesMatchTemperatureTopKTopP) {
  const double t = 0.8, p = 0.9;
  const size_t k = 6;
  Sampler sampler = make({float(t), int64_t(k), float(p), /*seed=*/1234});
  const int draws = 50000;
  std::vector<int> counts(kLogits.size(), 0);
  for (int i = 0; i < draws; ++i)
    ++counts[sampler.sample(kLogits.data(), kLogits.size())];
  std::vector<double> probs = intended(t, k, p);
  // Filtered-out tokens never come up.
  for (size_t i = 0; i < probs.size(); ++i)
    if (probs[i] == 0.0)
      EXPECT_EQ(counts[i], 0) << "token " << i;
  int cells;
  double statistic = chiSquare(counts, probs, draws, cells);
  ASSERT_GE(cells, 3);
  ASSERT_LE(cells - 1, 6);
  EXPECT_LT(statistic, kCritical[cells - 1]);
  // The test has power: the same draws are far from what temperature 1
  // without top-k/top-p would give.
  int wrongCells;
  double wrong =
      chiSquare(counts, intended(1.0, kLogits.size(), 1.0), draws, wrongCells);
  EXPECT_GT(wrong, 100 * kCritical[6]);
}

TEST(Sampler, SameSeedSameTokensOtherSeedOthers) {
  SamplingParams params{1.0f, 0, 1.0f, 7};
  Sampler a = make(params), b = make(params);
  params.seed = 8;
  Sampler c = make(params);
  std::vector<int64_t> fromA, fromB, fromC;
  for (int i = 0; i < 200; ++i) {
    fromA.push_back(a.sample(kLogits.data(), kLogits.size()));
    fromB.push_back(b.sample(kLogits.data(), kLogits.size()));
    fromC.push_back(c.sample(kLogits.data(), kLogits.size()));
  }
  EXPECT_EQ(fromA, fromB);
  EXPECT_NE(fromA, fromC);
}

TEST(Sampler, NarrowFiltersLeaveOneToken) {
  Sampler topOne = make({1.0f, 1, 1.0f, 3});
  Sampler tinyP = make({1.0f, 0, 0.01f, 3});
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(topOne.sample(kLogits.data(), kLogits.size()), 0);
    EXPECT_EQ(tinyP.sample(kLogits.data(), kLogits.size()), 0);
  }
}

TEST(Sampler, RejectsBadParameters) {
  auto message = [](SamplingParams params) {
    Expected<Sampler> sampler = Sampler::create(params);
    return sampler.ok() ? std::string() : sampler.status().message();
  };
  EXPECT_EQ(message({-1.0f, 0, 1.0f, 0}),
            "temperature must be a finite number >= 0, got -1.000000");
  EXPECT_EQ(message({1.0f, -2, 1.0f, 0}),
            "top-k must be >= 0 (0: off), got -2");
  EXPECT_EQ(message({1.0f, 0, 0.0f, 0}),
            "top-p must be in (0, 1], got 0.000000");
  EXPECT_EQ(message({1.0f, 0, 1.5f, 0}),
            "top-p must be in (0, 1], got 1.500000");
}

} // namespace

// What a GPU copies back instead of the whole row: every token whose logit
// is at least the row's k-th largest, in any order. From those alone the
// sampler draws exactly what it draws from the full row, variate for
// variate, whatever the parameters; ties at the boundary included.
TEST(Sampler, CandidatesGiveTheTokensTheFullRowGives) {
  std::mt19937 engine(11);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> logits(1000);
  for (float &l : logits)
    l = std::round(normal(engine) * 4) / 4; // many ties
  for (SamplingParams params :
       {SamplingParams{0.0f, 0, 1.0f, 1}, SamplingParams{1.0f, 1, 1.0f, 2},
        SamplingParams{0.7f, 5, 1.0f, 3}, SamplingParams{1.0f, 40, 0.9f, 4},
        SamplingParams{1.3f, 200, 0.5f, 5}, SamplingParams{1.0f, 0, 0.9f, 6},
        SamplingParams{0.6f, 0, 0.3f, 7}, SamplingParams{2.0f, 0, 0.95f, 8}}) {
    Sampler full = *Sampler::create(params), fromCandidates = full;
    CandidateQuery query = full.candidateQuery();
    ASSERT_TRUE(query.any());
    std::vector<float> values;
    std::vector<int64_t> ids;
    double rest =
        selectCandidates(logits.data(), logits.size(), query, values, ids);
    // Fewer than the whole row: what the device saves.
    EXPECT_LT(values.size(), logits.size())
        << "temperature " << params.temperature << " top-p " << params.topP;
    for (int draw = 0; draw < 200; ++draw)
      ASSERT_EQ(fromCandidates.sampleCandidates(values.data(), ids.data(),
                                                values.size(), rest),
                full.sample(logits.data(), logits.size()))
          << "temperature " << params.temperature << " top-k " << params.topK
          << " top-p " << params.topP << ", draw " << draw;
  }
  // Plain sampling, and a top-p within the margin of 1, need the whole row.
  EXPECT_FALSE(Sampler::create({1.0f, 0, 1.0f, 1})->candidateQuery().any());
  EXPECT_FALSE(Sampler::create({1.0f, 0, 0.9995f, 1})->candidateQuery().any());
}

/// The selection itself: the k-th largest with its ties, or the smallest
/// set of the most likely tokens holding the mass, and the weight of the
/// rest.
TEST(Sampler, CandidateSelection) {
  const std::vector<float> row = {1.0f, 3.0f, 2.0f, 3.0f, 0.0f};
  std::vector<float> values;
  std::vector<int64_t> ids;
  EXPECT_EQ(
      selectCandidates(row.data(), row.size(), {2, 0.0f, 1.0f}, values, ids),
      0.0);
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 1})); // highest id first
  EXPECT_EQ(values, (std::vector<float>{3.0f, 3.0f}));
  values.clear();
  ids.clear();
  // Weights e^(l - 3): 1, 1, e^-1, e^-2, e^-3 (total 2.553): the two 3s
  // hold 78.3 %, with the 2 92.8 %.
  double rest =
      selectCandidates(row.data(), row.size(), {0, 0.85f, 1.0f}, values, ids);
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 2, 1}));
  EXPECT_NEAR(rest, std::exp(-2.0) + std::exp(-3.0), 1e-12);
  values.clear();
  ids.clear();
  selectCandidates(row.data(), row.size(), {0, 0.75f, 1.0f}, values, ids);
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 1}));
}
