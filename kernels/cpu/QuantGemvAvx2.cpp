//===- QuantGemvAvx2.cpp - integer GEMV and GEMM over packed tiles, AVX2 --===//

#include "kernels/cpu/QuantGemvInt8.h"
#include "runtime/format/QuantLayout.h"

#include "kernels/cpu/VectorMath.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace llmc::kernels {
namespace {

constexpr int64_t kBlock = 32;
/// Weight rows per tile: one int32 lane each.
constexpr int64_t kTile = 8;
/// Rows of x per pass over a tile's codes.
constexpr int64_t kRows = 4;

/// Bytes of a tile's block of codes: 32 weights of 8 rows.
template <bool Uint4> constexpr int64_t blockBytes() {
  return kTile * kBlock / (Uint4 ? 2 : 1);
}

int64_t blockBytes(const QuantWeight &w) {
  return w.codes == QuantCodes::uint4 ? blockBytes<true>()
                                      : blockBytes<false>();
}

int64_t scaleBytes(const QuantWeight &w) { return w.halfScales ? 2 : 4; }

/// How far ahead (bytes) the codes are prefetched, every cache line of a
/// block: the hardware prefetcher alone leaves the core waiting on DRAM
/// between tiles. One thread, 2048x768 weights from DRAM, two alternating
/// runs (GMAC/s for 1, 2, 4 rows of x): uint4 30-31, 49-50, 63 before,
/// 38-40, 57, 70 with; int8 17, 20-22, 31-32 before, 21-22, 40-41, 50
/// with (before: one line 1 KB ahead, and none for one row). 4 KB ahead
/// measured alike.
constexpr int64_t kPrefetchBytes = 2048;
constexpr int64_t kLineBytes = 64;

/// Prefetches the cache lines of the block kPrefetchBytes past `codes`.
template <bool Uint4> inline void prefetchAhead(const uint8_t *codes) {
  const char *ahead = reinterpret_cast<const char *>(codes) + kPrefetchBytes;
  for (int64_t line = 0; line < blockBytes<Uint4>() / kLineBytes; ++line)
    _mm_prefetch(ahead + line * kLineBytes, _MM_HINT_T0);
}

/// 4 activation bytes in every lane.
__attribute__((target("avx2"))) inline __m256i broadcast4(const int8_t *x) {
  int32_t four;
  std::memcpy(&four, x, sizeof four);
  return _mm256_set1_epi32(four);
}

/// Keeps the compiler from regrouping the additions into `v` (integer
/// adds associate): left alone, GCC computes every product of a block
/// first and sums them in a tree, which needs more registers than there
/// are (a third of the speed, from spills).
__attribute__((target("avx2"))) inline void inOrder(__m256i &v) {
  asm("" : "+x"(v));
}

/// The integer sums of one block (32 weights of the tile's 8 rows) against
/// block `b` of each of `Rows` rows of x: lane r is weight row r's. uint4
/// codes (0..15) go in as unsigned bytes, and the 8 VPMADDUBSW results of a
/// block add up in int16 (8 x 2 x 15 x 127 < 2^15) before one VPMADDWD;
/// int8 codes as |w| against x carrying w's sign, each product pair widened
/// at once (2 x 128 x 127 leaves no room for a second).
template <bool Uint4, int Rows>
__attribute__((target("avx2"))) inline void
blockSums(const uint8_t *codes, const int8_t *const x[Rows], int64_t at,
          __m256i sums[Rows]) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (Uint4) {
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i pairs[Rows];
    for (int i = 0; i < Rows; ++i)
      pairs[i] = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const __m256i packed =
          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(codes + 32 * j));
      const __m256i first = _mm256_and_si256(packed, low);
      const __m256i second =
          _mm256_and_si256(_mm256_srli_epi16(packed, 4), low);
      for (int i = 0; i < Rows; ++i) {
        pairs[i] = _mm256_add_epi16(
            pairs[i],
            _mm256_maddubs_epi16(first, broadcast4(x[i] + at + 4 * j)));
        pairs[i] = _mm256_add_epi16(
            pairs[i],
            _mm256_maddubs_epi16(second, broadcast4(x[i] + at + 16 + 4 * j)));
        inOrder(pairs[i]);
      }
    }
    for (int i = 0; i < Rows; ++i)
      sums[i] = _mm256_madd_epi16(pairs[i], ones);
  } else {
    for (int i = 0; i < Rows; ++i)
      sums[i] = _mm256_setzero_si256();
    for (int j = 0; j < 8; ++j) {
      const __m256i weights =
          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(codes + 32 * j));
      const __m256i magnitudes = _mm256_abs_epi8(weights);
      for (int i = 0; i < Rows; ++i)
        sums[i] = _mm256_add_epi32(
            sums[i],
            _mm256_madd_epi16(
                _mm256_maddubs_epi16(
                    magnitudes,
                    _mm256_sign_epi8(broadcast4(x[i] + at + 4 * j), weights)),
                ones));
      for (int i = 0; i < Rows; ++i)
        inOrder(sums[i]);
    }
  }
}

/// The 8 scales of a tile's group as f32.
__attribute__((target("avx2,f16c"))) inline __m256
groupScales(const uint8_t *scales, bool half) {
  return half ? _mm256_cvtph_ps(
                    _mm_loadu_si128(reinterpret_cast<const __m128i *>(scales)))
              : _mm256_loadu_ps(reinterpret_cast<const float *>(scales));
}

/// The 8 zero points of a tile's group as f32.
template <bool Uint4>
__attribute__((target("avx2"))) inline __m256 groupZeros(const uint8_t *zeros) {
  const __m128i bytes =
      _mm_loadl_epi64(reinterpret_cast<const __m128i *>(zeros));
  return _mm256_cvtepi32_ps(Uint4 ? _mm256_cvtepu8_epi32(bytes)
                                  : _mm256_cvtepi8_epi32(bytes));
}

/// out[i][r] = rows first..first+Rows-1 of x against the tile's weight row
/// r: each block's integer sums scaled by the group's weight scales times
/// the block's activation scale, then scale x zero x the group's
/// activation terms (`terms`, [m][groups]) taken out.
template <bool Uint4, int Rows>
__attribute__((target("avx2,fma,f16c"))) void
tileRows(const Int8Blocks &x, int64_t first, const QuantWeight &w, int64_t tile,
         const float *terms, float (*out)[kTile]) {
  const PackedQuant &p = *w.packed;
  const int64_t blocks = w.k / kBlock, groups = w.groups();
  const int64_t perGroup = w.group / kBlock, bytes = blockBytes(w);
  const uint8_t *codes = p.codes.data() + tile * blocks * bytes;
  const uint8_t *scales =
      p.scales.data() + tile * groups * kTile * scaleBytes(w);
  const uint8_t *zeros =
      p.zeros.empty() ? nullptr : p.zeros.data() + tile * groups * kTile;
  const int8_t *rows[Rows];
  const float *blockScales[Rows];
  __m256 total[Rows];
  for (int i = 0; i < Rows; ++i) {
    rows[i] = x.codes + (first + i) * w.k;
    blockScales[i] = x.scales + (first + i) * blocks;
    total[i] = _mm256_setzero_ps();
  }
  for (int64_t g = 0; g < groups; ++g) {
    const __m256 weightScales =
        groupScales(scales + g * kTile * scaleBytes(w), w.halfScales);
    for (int64_t b = g * perGroup; b < (g + 1) * perGroup; ++b) {
      prefetchAhead<Uint4>(codes);
      __m256i sums[Rows];
      blockSums<Uint4, Rows>(codes, rows, b * kBlock, sums);
      codes += bytes;
      for (int i = 0; i < Rows; ++i)
        total[i] = _mm256_fmadd_ps(
            _mm256_cvtepi32_ps(sums[i]),
            _mm256_mul_ps(weightScales, _mm256_set1_ps(blockScales[i][b])),
            total[i]);
    }
    if (zeros) {
      const __m256 shares =
          _mm256_mul_ps(weightScales, groupZeros<Uint4>(zeros + g * kTile));
      for (int i = 0; i < Rows; ++i)
        total[i] = _mm256_fnmadd_ps(
            shares, _mm256_set1_ps(terms[(first + i) * groups + g]), total[i]);
    }
  }
  for (int i = 0; i < Rows; ++i)
    _mm256_storeu_ps(out[i], total[i]);
}

using TileFn = void (*)(const Int8Blocks &, int64_t, const QuantWeight &,
                        int64_t, const float *, float (*)[kTile]);

/// [uint4][rows - 1]
constexpr TileFn kTileFns[2][kRows] = {{tileRows<false, 1>, tileRows<false, 2>,
                                        tileRows<false, 3>, tileRows<false, 4>},
                                       {tileRows<true, 1>, tileRows<true, 2>,
                                        tileRows<true, 3>, tileRows<true, 4>}};

} // namespace

bool packsForAvx2(const QuantWeight &w) {
  const CpuFeatures &cpu = hostCpuFeatures();
  return cpuHas(CpuIsa::avx2) && cpu.f16c &&
         (w.codes == QuantCodes::int8 || w.codes == QuantCodes::uint4) &&
         w.k % kBlock == 0 && w.group % kBlock == 0;
}

PackedQuant packForAvx2(const QuantWeight &w) {
  const bool uint4 = w.codes == QuantCodes::uint4;
  const int64_t blocks = w.k / kBlock, groups = w.groups();
  const int64_t rowBytes = w.rowBytes(), bytes = blockBytes(w);
  PackedQuant p;
  p.tiles = (w.n + kTile - 1) / kTile;
  p.codes.assign(p.tiles * blocks * bytes, 0);
  p.scales.assign(p.tiles * groups * kTile * scaleBytes(w), 0);
  if (w.zeros)
    p.zeros.assign(p.tiles * groups * kTile, 0);
  for (int64_t r = 0; r < w.n; ++r) {
    const int64_t tile = r / kTile, lane = r % kTile;
    const uint8_t *row = w.data + r * rowBytes;
    for (int64_t b = 0; b < blocks; ++b) {
      uint8_t *block = p.codes.data() + (tile * blocks + b) * bytes;
      for (int64_t l = 0; l < kBlock; ++l) {
        if (!uint4) {
          block[l / 4 * 32 + lane * 4 + l % 4] = row[b * kBlock + l];
          continue;
        }
        const uint8_t code = format::getUint4(row, b * kBlock + l);
        uint8_t &byte = block[l % 16 / 4 * 32 + lane * 4 + l % 4];
        byte |= l < 16 ? code : uint8_t(code << 4);
      }
    }
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t at = (tile * groups + g) * kTile + lane;
      std::memcpy(p.scales.data() + at * scaleBytes(w),
                  static_cast<const uint8_t *>(w.scales) +
                      (r * groups + g) * scaleBytes(w),
                  scaleBytes(w));
      if (w.zeros)
        p.zeros[at] = w.zeros[r * groups + g];
    }
  }
  return p;
}

std::optional<PackedQuant> packForSelectedPath(const QuantWeight &w) {
  if (selectedCpuIsa() != CpuIsa::avx2 || !selectedDecodeActivationsRounded() ||
      !packsForAvx2(w))
    return std::nullopt;
  return packForAvx2(w);
}

Int8Blocks Int8Blocks::in(uint8_t *memory, int64_t m, int64_t k) {
  format::Int8BlocksLayout layout = format::int8BlocksLayout(m, k);
  return {m, k, reinterpret_cast<int8_t *>(memory),
          reinterpret_cast<float *>(memory + layout.scalesOffset),
          reinterpret_cast<float *>(memory + layout.termsOffset)};
}

__attribute__((target("avx2,fma"))) void
roundToInt8BlocksAvx2(const float *x, Int8Blocks &out) {
  static_assert(kBlock == format::kInt8ActivationBlock);
  const int64_t m = out.m, blocks = out.k / kBlock;
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  // packs interleaves the 128-bit halves: this puts the bytes back in order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < m * blocks; ++b) {
    const float *in = x + b * kBlock;
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
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out.codes + b * kBlock),
                        bytes);
    out.scales[b] = scale;
    out.terms[b] = scale * float(horizontalSum(_mm256_cvtepi32_ps(sum)));
  }
}

void quantGemmAvx2(const Int8Blocks &x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t ldy,
                   Workspace work) {
  const int64_t groups = w.groups(), perGroup = w.group / kBlock;
  const int64_t blocks = w.k / kBlock;
  // Each group's activation terms, [m][groups].
  const float *terms = x.terms;
  if (perGroup > 1 && w.zeros) {
    float *groupTerms = work.take<float>(x.m * groups);
    std::fill(groupTerms, groupTerms + x.m * groups, 0.0f);
    for (int64_t i = 0; i < x.m; ++i)
      for (int64_t b = 0; b < blocks; ++b)
        groupTerms[i * groups + b / perGroup] += x.terms[i * blocks + b];
    terms = groupTerms;
  }
  const TileFn *fns = kTileFns[w.codes == QuantCodes::uint4];
  for (int64_t tile = begin / kTile; tile * kTile < end; ++tile) {
    const int64_t from = std::max(begin, tile * kTile),
                  to = std::min(end, (tile + 1) * kTile);
    for (int64_t first = 0; first < x.m; first += kRows) {
      const int64_t rows = std::min(kRows, x.m - first);
      float out[kRows][kTile];
      fns[rows - 1](x, first, w, tile, terms, out);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t r = from; r < to; ++r)
          y[(first + i) * ldy + (r - begin)] =
              out[i][r - tile * kTile] + (bias ? bias[r] : 0.0f);
    }
  }
}

} // namespace llmc::kernels
