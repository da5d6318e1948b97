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
      const float top = horizontalMax(largest);
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

/// How far ahead (bytes) the codes are prefetched when several rows of x
/// keep the core busy between loads (as Linear.cpp's kPrefetchAhead). With
/// one row the hardware prefetcher does better alone (one thread, int8
/// 2048x768 from DRAM: 15 GB/s without, 10 GB/s with; uint4 11.6 and
/// 10.4).
constexpr int64_t kPrefetchBytes = 1024;

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

/// Block b's 32 codes of `row` as bytes (uint4: 0..15; int8: the codes)
/// and, for int8, their magnitudes.
template <bool Uint4>
__attribute__((target("avx2"))) inline void
loadBlock(const uint8_t *row, int64_t b, __m256i &weights,
          __m256i &magnitudes) {
  if constexpr (Uint4) {
    // 16 bytes: weights 0..15 in the low nibbles, 16..31 in the high.
    __m128i packed =
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + b * 16));
    weights =
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed),
                         _mm256_set1_epi8(0x0f));
    magnitudes = weights;
  } else {
    weights =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(row + b * kBlock));
    magnitudes = _mm256_abs_epi8(weights);
  }
}

/// Each weight row's blocks are taken 8 at a time: their integer sums
/// (8 lanes each) reduce into one vector with a lane per block (hadd
/// pairs, then quads, then the two halves), converted and scaled by the
/// blocks' weight x activation scales at once: one conversion and one FMA
/// per 8 blocks instead of per block (one thread, uint4 2048x768 g32,
/// weights from DRAM: 7.2 -> 11.3 GB/s with one row of x, 3.6 -> 4.6 GB/s
/// with four). The last blocks under 8 go one at a time.
template <bool Uint4, int Rows>
__attribute__((target("avx2,fma,f16c"))) void
gemvRows(const Activations &a, const QuantWeight &w, int64_t begin, int64_t end,
         const float *bias, float *y, int64_t ldy) {
  const int64_t k = w.k, blocks = k / kBlock, groups = w.groups();
  const int64_t blocksPerGroup = w.group / kBlock, rowBytes = w.rowBytes();
  const int64_t octetEnd = blocks / 8 * 8;
  static thread_local std::vector<float> scaleBuffer, shareBuffer, perBlock;
  scaleBuffer.resize(kTile * groups);
  shareBuffer.resize(kTile * groups);
  perBlock.resize(blocks);
  for (int64_t first = begin; first < end; first += kTile) {
    const int64_t rows = std::min(kTile, end - first);
    const float *tile = w.scalesAvx2(first, rows, scaleBuffer.data());
    float *shares = shareBuffer.data();
    w.zeroSharesAvx2(first, rows, tile, shares);
    for (int64_t t = 0; t < rows; ++t) {
      const uint8_t *row = w.data + (first + t) * rowBytes;
      // The weight scale of every block (a group's, repeated).
      const float *blockScales = tile + t * groups;
      if (blocksPerGroup > 1) {
        float *out = perBlock.data();
        for (int64_t g = 0; g < groups; ++g)
          out = std::fill_n(out, blocksPerGroup, blockScales[g]);
        blockScales = perBlock.data();
      }
      __m256 total[Rows];
      for (int i = 0; i < Rows; ++i)
        total[i] = _mm256_setzero_ps();
      for (int64_t b0 = 0; b0 < octetEnd; b0 += 8) {
        if (Rows > 1)
          _mm_prefetch(reinterpret_cast<const char *>(row) +
                           b0 * (Uint4 ? 16 : 32) + kPrefetchBytes,
                       _MM_HINT_T0);
        // quads[i][h]: blocks 4h..4h+3 of the octet, summed in pairs of
        // lanes twice (each 128-bit half holds a half of each block).
        __m256i quads[Rows][2];
        for (int h = 0; h < 2; ++h) {
          __m256i pairs[Rows][2];
          for (int p = 0; p < 2; ++p) {
            const int64_t b = b0 + 4 * h + 2 * p;
            __m256i w0, m0, w1, m1;
            loadBlock<Uint4>(row, b, w0, m0);
            loadBlock<Uint4>(row, b + 1, w1, m1);
            for (int i = 0; i < Rows; ++i) {
              const int8_t *x = a.codes.data() + i * k + b * kBlock;
              pairs[i][p] = _mm256_hadd_epi32(dot32<Uint4>(w0, m0, x),
                                              dot32<Uint4>(w1, m1, x + kBlock));
            }
          }
          for (int i = 0; i < Rows; ++i)
            quads[i][h] = _mm256_hadd_epi32(pairs[i][0], pairs[i][1]);
        }
        const __m256 weightScales = _mm256_loadu_ps(blockScales + b0);
        for (int i = 0; i < Rows; ++i) {
          const __m256i sums = _mm256_add_epi32(
              _mm256_permute2x128_si256(quads[i][0], quads[i][1], 0x20),
              _mm256_permute2x128_si256(quads[i][0], quads[i][1], 0x31));
          total[i] = _mm256_fmadd_ps(
              _mm256_cvtepi32_ps(sums),
              _mm256_mul_ps(weightScales,
                            _mm256_loadu_ps(a.scales.data() + i * blocks + b0)),
              total[i]);
        }
      }
      for (int i = 0; i < Rows; ++i) {
        float sum = horizontalSum(total[i]);
        for (int64_t b = octetEnd; b < blocks; ++b) {
          __m256i weights, magnitudes;
          loadBlock<Uint4>(row, b, weights, magnitudes);
          sum +=
              float(horizontalSum(_mm256_cvtepi32_ps(dot32<Uint4>(
                  weights, magnitudes, a.codes.data() + i * k + b * kBlock)))) *
              (blockScales[b] * a.scales[i * blocks + b]);
        }
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
            sum - zeroPart + (bias ? bias[first + t] : 0.0f);
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
