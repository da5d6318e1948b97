//===- CpuKernelsTest.cpp - CPU kernels against their definitions ---------===//
//
// Each kernel is checked against the mathematical definition evaluated in
// double precision here, and the AVX2 linear against the portable one.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Attention.h"
#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/KvRows.h"
#include "kernels/cpu/Linear.h"
#include "kernels/cpu/Transformer.h"
#include "test/kernels/RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace llmc::kernels;
using llmc::test::randomVector;

namespace {

/// linear() on `isa` against the definition in double precision.
void checkLinearPath(CpuIsa isa) {
  // Decode (m = 1), a partial block of rows, tails of k off the vector width.
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 37, 64},
                         {3, 16, 13},
                         {4, 8, 8},
                         {7, 33, 171},
                         // AVX-512's one pass for up to 8 rows (a
                         // speculative verify call's k + 1 tokens)
                         {8, 21, 100},
                         {6, 9, 64},
                         {5, 3, 1},
                         {1, 1, 16},
                         {2, 19, 47},
                         {9, 130, 20},
                         {2, 5, 9},
                         {4, 17, 40},
                         {3, 1, 8},
                         // several passes of streamed rows
                         {13, 70, 300},
                         {25, 33, 257},
                         {64, 32, 128},
                         // the SGEMM (OpenBLAS) past 64 rows: its register
                         // tiles, ragged n and k
                         {65, 20, 100},
                         {100, 33, 257},
                         {4, 5, 33},
                         // long rows, with and without a tail
                         {1, 5, 1024},
                         {1, 3, 1025},
                         {4, 7, 2100},
                         {3, 2, 3000}}) {
    std::vector<float> x = randomVector(m * k, 1), w = randomVector(n * k, 2),
                       bias = randomVector(n, 3);
    // Rows of y 3 floats apart beyond n (a slice of wider outputs): the
    // gaps must stay untouched.
    const int64_t ldy = n + 3;
    std::vector<float> y(m * ldy, -7.0f);
    linearWith(isa, x.data(), w.data(), bias.data(), y.data(), m, n, k, ldy);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double expected = bias[j];
        for (int64_t l = 0; l < k; ++l)
          expected += double(x[i * k + l]) * w[j * k + l];
        EXPECT_NEAR(y[i * ldy + j], expected, 1e-4 * (1 + std::abs(expected)))
            << "isa " << int(isa) << " m=" << m << " n=" << n << " k=" << k;
      }
      for (int64_t j = n; j < ldy; ++j)
        EXPECT_EQ(y[i * ldy + j], -7.0f) << "wrote past row " << i;
    }
  }
}

TEST(CpuLinear, ScalarPathMatchesTheDefinition) {
  checkLinearPath(CpuIsa::scalar);
}

TEST(CpuLinear, Avx2PathMatchesTheDefinition) {
  if (!cpuHas(CpuIsa::avx2))
    GTEST_SKIP() << "this CPU has no AVX2+FMA";
  checkLinearPath(CpuIsa::avx2);
}

TEST(CpuLinear, Avx512PathMatchesTheDefinition) {
  if (!cpuHas(CpuIsa::avx512))
    GTEST_SKIP() << "this CPU has no AVX-512";
  checkLinearPath(CpuIsa::avx512);
}

/// Each row of y has the same bits computed alone and among up to 64 rows
/// (and 65, the SGEMM's, is not asked to): a speculative verify call's
/// logits are then a plain decode step's, and a sequence decodes alike in
/// a server's batch of up to 64.
void checkRowsAlone(CpuIsa isa) {
  const int64_t n = 19, k = 203;
  std::vector<float> x = randomVector(64 * k, 7), w = randomVector(n * k, 8);
  for (int64_t m : {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 33, 64}) {
    std::vector<float> together(m * n);
    linearWith(isa, x.data(), w.data(), nullptr, together.data(), m, n, k, n);
    for (int64_t i = 0; i < m; ++i) {
      std::vector<float> alone(n);
      linearWith(isa, x.data() + i * k, w.data(), nullptr, alone.data(), 1, n,
                 k, n);
      for (int64_t j = 0; j < n; ++j)
        ASSERT_EQ(together[i * n + j], alone[j])
            << "isa " << int(isa) << ": row " << i << " of " << m;
    }
  }
}

TEST(CpuLinear, RowsHaveTheSameBitsAloneAndTogether) {
  for (CpuIsa isa : {CpuIsa::avx512, CpuIsa::avx2, CpuIsa::scalar})
    if (cpuHas(isa))
      checkRowsAlone(isa);
}

TEST(CpuKernels, RmsNormAndLayerNorm) {
  const int64_t rows = 3, dim = 10;
  std::vector<float> x = randomVector(rows * dim, 4), w = randomVector(dim, 5),
                     b = randomVector(dim, 6), y(rows * dim);
  rmsNorm(x.data(), w.data(), 1e-5f, y.data(), rows, dim);
  for (int64_t r = 0; r < rows; ++r) {
    double squares = 0;
    for (int64_t i = 0; i < dim; ++i)
      squares += double(x[r * dim + i]) * x[r * dim + i];
    double inverse = 1.0 / std::sqrt(squares / dim + 1e-5);
    for (int64_t i = 0; i < dim; ++i)
      EXPECT_NEAR(y[r * dim + i], x[r * dim + i] * inverse * w[i], 1e-5);
  }
  layerNorm(x.data(), w.data(), b.data(), 1e-5f, y.data(), rows, dim);
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < dim; ++i)
      mean += x[r * dim + i] / double(dim);
    for (int64_t i = 0; i < dim; ++i)
      var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean) / dim;
    for (int64_t i = 0; i < dim; ++i)
      EXPECT_NEAR(y[r * dim + i],
                  (x[r * dim + i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i],
                  1e-5);
  }
}

TEST(CpuKernels, RopeRotatesTheRightPairsAtEachPosition) {
  const int64_t tokens = 2, heads = 2, headDim = 8, rotary = 6, half = 3,
                positions = 10;
  std::vector<float> cos(positions * half), sin(positions * half);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double angle = p * std::pow(10000.0, -2.0 * i / rotary);
      cos[p * half + i] = std::cos(angle);
      sin[p * half + i] = std::sin(angle);
    }
  std::vector<int64_t> at = {3, 7};
  for (RopePairs pairs : {RopePairs::interleaved, RopePairs::half}) {
    std::vector<float> x = randomVector(tokens * heads * headDim, 7), y = x;
    rope(y.data(), cos.data(), sin.data(), at.data(), tokens, heads, headDim,
         rotary, pairs);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t h = 0; h < heads; ++h) {
        const float *in = &x[(t * heads + h) * headDim];
        const float *out = &y[(t * heads + h) * headDim];
        for (int64_t i = 0; i < half; ++i) {
          int64_t a = pairs == RopePairs::interleaved ? 2 * i : i;
          int64_t b = pairs == RopePairs::interleaved ? 2 * i + 1 : i + half;
          double angle = at[t] * std::pow(10000.0, -2.0 * i / rotary);
          // (a + ib) * e^{i angle}
          EXPECT_NEAR(out[a], in[a] * std::cos(angle) - in[b] * std::sin(angle),
                      1e-5);
          EXPECT_NEAR(out[b], in[a] * std::sin(angle) + in[b] * std::cos(angle),
                      1e-5);
        }
        for (int64_t d = rotary; d < headDim; ++d)
          EXPECT_EQ(out[d], in[d]); // beyond the rotary dimensions
      }
  }
}

TEST(CpuKernels, ActivationsAtKnownPoints) {
  std::vector<float> x = {1.0f, -2.0f, 0.0f};
  std::vector<float> s = x, exact = x, approx = x;
  silu(s.data(), 3);
  gelu(exact.data(), 3, false);
  gelu(approx.data(), 3, true);
  for (size_t i = 0; i < x.size(); ++i) {
    double v = x[i];
    EXPECT_NEAR(s[i], v / (1 + std::exp(-v)), 1e-6);
    EXPECT_NEAR(exact[i], 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-6);
    EXPECT_NEAR(
        approx[i],
        0.5 * v *
            (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))),
        1e-6);
  }
  EXPECT_NEAR(exact[0], 0.8413447, 1e-6); // Phi(1)
}

/// silu on `isa` against the definition in double precision.
void checkSiluPath(CpuIsa isa) {
  // A sweep from far negative (exp overflows there without the clamp) to
  // far positive, in a length that is not a multiple of 8 or 16.
  std::vector<float> x;
  for (float v = -120.0f; v <= 120.0f; v += 0.37f)
    x.push_back(v);
  x.push_back(0.0f);
  std::vector<float> y = x;
  siluWith(isa, y.data(), int64_t(y.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    double expected = double(x[i]) / (1.0 + std::exp(-double(x[i])));
    EXPECT_NEAR(y[i], expected, 1e-6 * (1e-30 + std::abs(expected)))
        << "isa " << int(isa) << " silu(" << x[i] << ")";
  }
}

TEST(CpuKernels, SiluMatchesTheDefinitionAcrossItsRange) {
  checkSiluPath(CpuIsa::scalar);
}

TEST(CpuKernels, SiluAvx2MatchesTheDefinition) {
  if (!cpuHas(CpuIsa::avx2))
    GTEST_SKIP() << "this CPU has no AVX2+FMA";
  checkSiluPath(CpuIsa::avx2);
}

TEST(CpuKernels, SiluAvx512MatchesTheDefinition) {
  if (!cpuHas(CpuIsa::avx512))
    GTEST_SKIP() << "this CPU has no AVX-512";
  checkSiluPath(CpuIsa::avx512);
}

/// Row pointers of contiguous [span, d] keys or values.
std::vector<const float *> rowsOf(const std::vector<float> &x, int64_t d) {
  std::vector<const float *> rows;
  for (size_t at = 0; at < x.size(); at += d)
    rows.push_back(x.data() + at);
  return rows;
}

/// attendKvHead on `isa` against the portable path.
void checkAttentionPath(CpuIsa isa) {
  // head_dim off the vector width falls back (AVX-512: 80 is vectorized,
  // 40 goes to AVX2; AVX2: 40 and 80 are vectorized, 20 not);
  // blocks of one and several tokens, groups up to the row limit, spans
  // that are not multiples of 16, windows shorter and longer than them,
  // soft-capped scores.
  for (int64_t d : {16, 20, 40, 64, 80, 128})
    for (int64_t group : {1, 2, 3, 8})
      for (int64_t tokens : {int64_t(1), kMaxAttentionRows / group})
        for (int64_t firstVisible : {1, 5, 17, 40})
          for (ScoreRule rule :
               {ScoreRule{1.0f / std::sqrt(float(d))},
                ScoreRule{1.0f / std::sqrt(float(d)), 0.0f, 4},
                ScoreRule{1.0f / std::sqrt(float(d)), 2.0f, 19}}) {
            const int64_t span = firstVisible + tokens - 1;
            // Each token's row holds one query head more than the group:
            // the kernel must leave it alone.
            const int64_t rowStride = (group + 1) * d;
            std::vector<float> q = randomVector(tokens * rowStride, 11),
                               k = randomVector(span * d, 12),
                               v = randomVector(span * d, 13),
                               scores(kMaxAttentionRows * span);
            std::vector<const float *> keys = rowsOf(k, d),
                                       values = rowsOf(v, d);
            KeyRows rows{keys.data(), values.data()};
            std::vector<float> fast(tokens * rowStride, -7.0f), portable = fast;
            attendKvHeadWith(isa, q.data(), fast.data(), rowStride, tokens,
                             group, firstVisible, rows, d, rule, scores.data());
            attendKvHeadWith(CpuIsa::scalar, q.data(), portable.data(),
                             rowStride, tokens, group, firstVisible, rows, d,
                             rule, scores.data());
            for (size_t i = 0; i < fast.size(); ++i)
              ASSERT_NEAR(fast[i], portable[i],
                          2e-6 * (1 + std::abs(portable[i])))
                  << "isa " << int(isa) << " d=" << d << " group=" << group
                  << " tokens=" << tokens << " firstVisible=" << firstVisible
                  << " window=" << rule.window << " at " << i;
            for (int64_t t = 0; t < tokens; ++t)
              for (int64_t e = group * d; e < rowStride; ++e)
                ASSERT_EQ(fast[t * rowStride + e], -7.0f);
            // A token's result does not depend on the block it is in: the
            // last token alone gives the same bits.
            std::vector<float> alone(rowStride, -7.0f);
            attendKvHeadWith(isa, q.data() + (tokens - 1) * rowStride,
                             alone.data(), rowStride, 1, group, span, rows, d,
                             rule, scores.data());
            for (int64_t e = 0; e < group * d; ++e)
              ASSERT_EQ(alone[e], fast[(tokens - 1) * rowStride + e]);
          }
}

TEST(CpuKernels, AttendKvHeadAvx2MatchesThePortablePath) {
  if (!cpuHas(CpuIsa::avx2))
    GTEST_SKIP() << "this CPU has no AVX2+FMA";
  checkAttentionPath(CpuIsa::avx2);
}

TEST(CpuKernels, AttendKvHeadAvx512MatchesThePortablePath) {
  if (!cpuHas(CpuIsa::avx512))
    GTEST_SKIP() << "this CPU has no AVX-512";
  checkAttentionPath(CpuIsa::avx512);
}

/// Rows of a cache held as `held`: random codes (fp8's NaN code avoided;
/// f16 and bf16 from random floats) and, for int8 and fp8, a scale per row.
struct HeldRows {
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  std::vector<const void *> rows;
  std::vector<float> widened; // the rows as f32, scale applied

  HeldRows(KvStorage held, int64_t count, int64_t d, unsigned seed)
      : bytes(size_t(count * d * kvElementBytes(held))), scales(count, 1.0f),
        widened(size_t(count * d)) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = uint8_t(random());
    const int64_t rowBytes = d * kvElementBytes(held);
    for (int64_t j = 0; j < count; ++j) {
      uint8_t *row = bytes.data() + j * rowBytes;
      for (int64_t e = 0; e < d; ++e) {
        if (held == KvStorage::fp8 && (row[e] & 0x7f) == 0x7f)
          row[e] &= 0xfe;
        uint16_t half = held == KvStorage::f16
                            ? llmc::format::floatToHalf(unit(random))
                            : llmc::format::floatToBfloat16(unit(random));
        if (kvElementBytes(held) == 2)
          std::memcpy(row + 2 * e, &half, 2);
      }
      if (kvScaled(held))
        scales[j] = (held == KvStorage::int8 ? 1.0f / 127 : 1.0f / 256) *
                    (0.5f + unit(random) * unit(random));
      rows.push_back(row);
      widenKvRowWith(CpuIsa::scalar, held, row, d, scales[j],
                     widened.data() + j * d);
    }
  }
};

/// attendKvHead reading the cache's first rows where they are held, as
/// f16, bf16, int8 or fp8, on `isa`: against the same rows widened to f32
/// (the portable path), and a token's result again independent of its
/// block.
void checkHeldAttentionPath(CpuIsa isa) {
  for (KvStorage held :
       {KvStorage::f16, KvStorage::bf16, KvStorage::int8, KvStorage::fp8})
    for (int64_t d : {20, 40, 64, 128})
      for (int64_t group : {1, 2, 8})
        for (int64_t tokens : {int64_t(1), kMaxAttentionRows / group})
          for (int64_t firstVisible : {1, 5, 40})
            for (ScoreRule rule :
                 {ScoreRule{1.0f / std::sqrt(float(d))},
                  ScoreRule{1.0f / std::sqrt(float(d)), 2.0f, 19}}) {
              const int64_t span = firstVisible + tokens - 1;
              const int64_t cached = firstVisible - 1; // the block's are new
              const int64_t rowStride = group * d;
              std::vector<float> q = randomVector(tokens * rowStride, 21),
                                 k = randomVector(span * d, 22),
                                 v = randomVector(span * d, 23),
                                 scores(kMaxAttentionRows * span);
              HeldRows heldKeys(held, cached, d, 24),
                  heldValues(held, cached, d, 25);
              // The reference: every row as f32.
              std::copy(heldKeys.widened.begin(), heldKeys.widened.end(),
                        k.begin());
              std::copy(heldValues.widened.begin(), heldValues.widened.end(),
                        v.begin());
              std::vector<const float *> keys = rowsOf(k, d),
                                         values = rowsOf(v, d);
              std::vector<float> reference(tokens * rowStride);
              attendKvHeadWith(CpuIsa::scalar, q.data(), reference.data(),
                               rowStride, tokens, group, firstVisible,
                               KeyRows{keys.data(), values.data()}, d, rule,
                               scores.data());
              KeyRows rows{keys.data(), values.data()};
              rows.cached = cached;
              rows.held = held;
              rows.cachedKeys = heldKeys.rows.data();
              rows.cachedValues = heldValues.rows.data();
              if (kvScaled(held)) {
                rows.keyScales = heldKeys.scales.data();
                rows.valueScales = heldValues.scales.data();
              }
              std::vector<float> fast(tokens * rowStride);
              attendKvHeadWith(isa, q.data(), fast.data(), rowStride, tokens,
                               group, firstVisible, rows, d, rule,
                               scores.data());
              for (size_t i = 0; i < fast.size(); ++i)
                ASSERT_NEAR(fast[i], reference[i],
                            1e-5 * (1 + std::abs(reference[i])))
                    << "isa " << int(isa) << " held " << int(held) << " d=" << d
                    << " group=" << group << " tokens=" << tokens
                    << " firstVisible=" << firstVisible << " at " << i;
              std::vector<float> alone(rowStride);
              attendKvHeadWith(isa, q.data() + (tokens - 1) * rowStride,
                               alone.data(), rowStride, 1, group, span, rows, d,
                               rule, scores.data());
              for (int64_t e = 0; e < group * d; ++e)
                ASSERT_EQ(alone[e], fast[(tokens - 1) * rowStride + e]);
            }
}

TEST(CpuKernels, AttendKvHeadPortableReadsHeldRows) {
  checkHeldAttentionPath(CpuIsa::scalar);
}

TEST(CpuKernels, AttendKvHeadAvx2ReadsHeldRows) {
  if (!cpuHas(CpuIsa::avx2))
    GTEST_SKIP() << "this CPU has no AVX2+FMA";
  checkHeldAttentionPath(CpuIsa::avx2);
}

TEST(CpuKernels, AttendKvHeadAvx512ReadsHeldRows) {
  if (!cpuHas(CpuIsa::avx512))
    GTEST_SKIP() << "this CPU has no AVX-512";
  checkHeldAttentionPath(CpuIsa::avx512);
}

/// attendKvHead's received sums on `isa`: each key's softmax weights over
/// the block's rows, against the definition in double precision.
void checkReceivedAttention(CpuIsa isa) {
  for (int64_t d : {20, 64})
    for (int64_t group : {1, 2})
      for (int64_t tokens : {int64_t(1), kMaxAttentionRows / group})
        for (ScoreRule rule : {ScoreRule{0.3f}, ScoreRule{0.3f, 0.0f, 4},
                               ScoreRule{0.3f, 2.0f, 0}}) {
          const int64_t firstVisible = 17, span = firstVisible + tokens - 1;
          const int64_t rowStride = group * d;
          std::vector<float> q = randomVector(tokens * rowStride, 31),
                             k = randomVector(span * d, 32),
                             v = randomVector(span * d, 33),
                             scores(kMaxAttentionRows * span),
                             out(tokens * rowStride);
          std::vector<const float *> keys = rowsOf(k, d), values = rowsOf(v, d);
          // Added to what is there.
          std::vector<float> received(span, 1.0f);
          attendKvHeadWith(isa, q.data(), out.data(), rowStride, tokens, group,
                           firstVisible, KeyRows{keys.data(), values.data()}, d,
                           rule, scores.data(), received.data());
          std::vector<double> want(span, 1.0);
          for (int64_t t = 0; t < tokens; ++t)
            for (int64_t g = 0; g < group; ++g) {
              const int64_t visible = firstVisible + t;
              const int64_t first =
                  rule.window > 0 ? std::max<int64_t>(0, visible - rule.window)
                                  : 0;
              std::vector<double> weight(span, 0.0);
              double top = -1e300, sum = 0.0;
              for (int64_t j = first; j < visible; ++j) {
                double dot = 0.0;
                for (int64_t e = 0; e < d; ++e)
                  dot += double(q[t * rowStride + g * d + e]) * k[j * d + e];
                dot *= rule.scale;
                if (rule.softcap > 0)
                  dot = std::tanh(dot / rule.softcap) * rule.softcap;
                weight[j] = dot;
                top = std::max(top, dot);
              }
              for (int64_t j = first; j < visible; ++j)
                sum += weight[j] = std::exp(weight[j] - top);
              for (int64_t j = first; j < visible; ++j)
                want[j] += weight[j] / sum;
            }
          for (int64_t j = 0; j < span; ++j)
            ASSERT_NEAR(received[j], want[j], 2e-5)
                << "isa " << int(isa) << " d=" << d << " group=" << group
                << " tokens=" << tokens << " window=" << rule.window << " key "
                << j;
        }
}

TEST(CpuKernels, AttendKvHeadSumsTheAttentionEachKeyReceives) {
  checkReceivedAttention(CpuIsa::scalar);
  if (cpuHas(CpuIsa::avx2))
    checkReceivedAttention(CpuIsa::avx2);
  if (cpuHas(CpuIsa::avx512))
    checkReceivedAttention(CpuIsa::avx512);
}

TEST(CpuKernels, SoftmaxRowsSumToOne) {
  std::vector<float> x = {1000.0f, 1001.0f, 999.0f, -5.0f, 0.0f, 5.0f};
  softmax(x.data(), 2, 3);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0, 1e-6);
  EXPECT_NEAR(x[1], 1.0 / (1.0 + std::exp(-1.0) + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(x[5], 1.0 / (1.0 + std::exp(-5.0) + std::exp(-10.0)), 1e-6);
}

} // namespace
