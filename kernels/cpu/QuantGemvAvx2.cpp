//===- QuantGemvAvx2.cpp - integer decode GEMV on AVX2 --------------------===//

#include "kernels/cpu/QuantGemvInt8.h"

#include "kernels/cpu/VectorMath.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

namespace llmc::kernels {
namespace {

constexpr int64_t kBlock = 32;

/// The input rows rounded to int8 in blocks of 32, in x's order: codes
/// [m, k], each block's scale [m, k / 32], and per weight group the sum
/// over its blocks of (scale x sum of codes) [m, groups].
struct Activations {
  std::vector<int8_t> codes;
  std::vector<float> scales, groupTerms;
};

__attribute__((target("avx2,fma"))) void
quantizeActivations(const float *x, int64_t m, const QuantWeight &w,
                    Activations &a) {
  const int64_t k = w.k, blocks = k / kBlock, groups = w.groups();
  a.codes.resize(m * k);
  a.scales.resize(m * blocks);
  a.groupTerms.assign(m * groups, 0.0f);
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  // packs interleaves the 128-bit halves: this puts the bytes back in order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t b = 0; b < blocks; ++b) {
      const float *in = x + i * k + b * kBlock;
      __m256 v[4];
      __m256 largest = _mm256_setzero_ps();
      for (int p = 0; p < 4; ++p) {
        v[p] = _mm256_loadu_ps(in + 8 * p);
        largest = _mm256_max_ps(largest, _mm256_and_ps(v[p], magnitude));
      }
      __m128 half = _mm_max_ps(_mm256_castps256_ps128(largest),
                               _mm256_extractf128_ps(largest, 1));
      half = _mm_max_ps(half, _mm_movehl_ps(half, half));
      half = _mm_max_ss(half, _mm_shuffle_ps(half, half, 1));
      const float top = _mm_cvtss_f32(half);
      const float scale = top > 0.0f ? top / 127.0f : 1.0f;
      const __m256 inverse = _mm256_set1_ps(1.0f / scale);
      __m256i q[4];
      for (int p = 0; p < 4; ++p)
        q[p] = _mm256_cvtps_epi32(_mm256_mul_ps(v[p], inverse));
      const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]),
                                           _mm256_add_epi32(q[2], q[3]));
      const __m256i bytes = _mm256_permutevar8x32_epi32(
          _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]),
                             _mm256_packs_epi32(q[2], q[3])),
          order);
      _mm256_storeu_si256(
          reinterpret_cast<__m256i *>(a.codes.data() + i * k + b * kBlock),
          bytes);
      a.scales[i * blocks + b] = scale;
      a.groupTerms[i * groups + b * kBlock / w.group] +=
          scale * float(horizontalSum(_mm256_cvtepi32_ps(sum)));
    }
}

/// Weight rows per tile: their scales and zero shares convert together.
constexpr int64_t kTile = 8;

/// 32 products of weight codes and activation bytes summed in pairs of
/// pairs: 8 int32 lanes. uint4 codes (0..15) go in as unsigned bytes; int8
/// codes as |w| against x carrying w's sign (|w| <= 128 and |x| <= 127
/// keep each pair's sum within int16).
template <bool Uint4>
__attribute__((target("avx2"))) inline __m256i
dot32(__m256i weights, __m256i magnitudes, const int8_t *x) {
  __m256i xs = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x));
  __m256i pairs =
      Uint4 ? _mm256_maddubs_epi16(weights, xs)
            : _mm256_maddubs_epi16(magnitudes, _mm256_sign_epi8(xs, weights));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

template <bool Uint4, int Rows>
__attribute__((target("avx2,fma,f16c"))) void
gemvRows(const Activations &a, const QuantWeight &w, int64_t begin, int64_t end,
         const float *bias, float *y, int64_t ldy) {
  const int64_t k = w.k, blocks = k / kBlock, groups = w.groups();
  const int64_t blocksPerGroup = w.group / kBlock, rowBytes = w.rowBytes();
  static thread_local std::vector<float> scaleBuffer, shareBuffer;
  scaleBuffer.resize(kTile * groups);
  shareBuffer.resize(kTile * groups);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  for (int64_t first = begin; first < end; first += kTile) {
    const int64_t rows = std::min(kTile, end - first);
    const float *tile = w.scalesAvx2(first, rows, scaleBuffer.data());
    float *shares = shareBuffer.data();
    w.zeroSharesAvx2(first, rows, tile, shares);
    for (int64_t t = 0; t < rows; ++t) {
      const uint8_t *row = w.data + (first + t) * rowBytes;
      const float *rowScales = tile + t * groups;
      // Two accumulators per input row: consecutive blocks do not wait on
      // each other's multiply-add.
      __m256 total[Rows][2];
      for (int i = 0; i < Rows; ++i)
        total[i][0] = total[i][1] = _mm256_setzero_ps();
      for (int64_t b = 0; b < blocks; ++b) {
        __m256i weights, magnitudes;
        if constexpr (Uint4) {
          // 16 bytes: weights 0..15 in the low nibbles, 16..31 in the high.
          __m128i packed =
              _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + b * 16));
          weights = _mm256_and_si256(
              _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), nibble);
          magnitudes = weights;
        } else {
          weights = _mm256_loadu_si256(
              reinterpret_cast<const __m256i *>(row + b * kBlock));
          magnitudes = _mm256_abs_epi8(weights);
        }
        const float scale = rowScales[b / blocksPerGroup];
        for (int i = 0; i < Rows; ++i) {
          __m256i sums = dot32<Uint4>(weights, magnitudes,
                                      a.codes.data() + i * k + b * kBlock);
          total[i][b & 1] =
              _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums),
                              _mm256_set1_ps(scale * a.scales[i * blocks + b]),
                              total[i][b & 1]);
        }
      }
      for (int i = 0; i < Rows; ++i) {
        // Zero points: scale * zero * the group's activation term.
        const float *terms = a.groupTerms.data() + i * groups;
        __m256 zeroParts = _mm256_setzero_ps();
        int64_t g = 0;
        for (; g + 8 <= groups; g += 8)
          zeroParts = _mm256_fmadd_ps(_mm256_loadu_ps(shares + t * groups + g),
                                      _mm256_loadu_ps(terms + g), zeroParts);
        float zeroPart = horizontalSum(zeroParts);
        for (; g < groups; ++g)
          zeroPart += shares[t * groups + g] * terms[g];
        y[i * ldy + (first + t - begin)] =
            horizontalSum(_mm256_add_ps(total[i][0], total[i][1])) - zeroPart +
            (bias ? bias[first + t] : 0.0f);
      }
    }
  }
}

} // namespace

void quantGemvAvx2(const float *x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t m,
                   int64_t ldy) {
  static thread_local Activations activations;
  quantizeActivations(x, m, w, activations);
  using Gemv = void (*)(const Activations &, const QuantWeight &, int64_t,
                        int64_t, const float *, float *, int64_t);
  // [uint4][rows - 1]
  static constexpr Gemv table[2][4] = {{gemvRows<false, 1>, gemvRows<false, 2>,
                                        gemvRows<false, 3>, gemvRows<false, 4>},
                                       {gemvRows<true, 1>, gemvRows<true, 2>,
                                        gemvRows<true, 3>, gemvRows<true, 4>}};
  table[w.codes == QuantCodes::uint4][std::min<int64_t>(m, 4) - 1](
      activations, w, begin, end, bias, y, ldy);
}

} // namespace llmc::kernels
