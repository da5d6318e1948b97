//===- QuantGemvVnni.cpp - integer decode GEMV on AVX-512 VNNI -----------===//

#include "kernels/cpu/QuantGemvInt8.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace llmc::kernels {
namespace {

constexpr int64_t kBlock = 32;

/// The input rows as int8 codes, laid out the way the weight bytes are
/// read: uint4 chunks of 128 weights are 64 low-nibble bytes (the first 16
/// weights of each block of 32) then 64 high-nibble bytes; int8 chunks are
/// 64 weights as they are. Per chunk, 16 lane scales: the scale of the
/// activation block each VPDPBUSD lane sums. Per group, the sum over its
/// blocks of (activation scale x sum of activation codes).
struct Activations {
  int64_t chunks = 0, chunkBytes = 0;
  int8_t *codes = nullptr;
  float *laneScales = nullptr, *groupTerms = nullptr;
};

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void
quantizeActivations(const float *x, int64_t m, const QuantWeight &w,
                    Workspace &work, Activations &a) {
  const bool uint4 = w.codes == QuantCodes::uint4;
  const int64_t k = w.k, blocks = k / kBlock, groups = w.groups();
  const int64_t weightsPerChunk = uint4 ? 128 : 64;
  const int64_t blocksPerChunk = weightsPerChunk / kBlock;
  a.chunks = (k + weightsPerChunk - 1) / weightsPerChunk;
  a.chunkBytes = uint4 ? 128 : 64;
  a.codes = work.take<int8_t>(m * a.chunks * a.chunkBytes);
  a.laneScales = work.take<float>(m * a.chunks * 16);
  a.groupTerms = work.take<float>(m * groups);
  std::memset(a.codes, 0, m * a.chunks * a.chunkBytes);
  std::fill(a.laneScales, a.laneScales + m * a.chunks * 16, 0.0f);
  std::fill(a.groupTerms, a.groupTerms + m * groups, 0.0f);
  const int64_t lanesPerBlock = 16 / blocksPerChunk;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t b = 0; b < blocks; ++b) {
      const float *in = x + i * k + b * kBlock;
      __m512 first = _mm512_loadu_ps(in), second = _mm512_loadu_ps(in + 16);
      float largest = _mm512_reduce_max_ps(
          _mm512_max_ps(_mm512_abs_ps(first), _mm512_abs_ps(second)));
      float scale = largest > 0.0f ? largest / 127.0f : 1.0f;
      __m512 inverse = _mm512_set1_ps(1.0f / scale);
      __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(first, inverse));
      __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(second, inverse));
      int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
      __m128i bytes0 = _mm512_cvtsepi32_epi8(q0),
              bytes1 = _mm512_cvtsepi32_epi8(q1);
      int64_t c = b / blocksPerChunk, within = b % blocksPerChunk;
      int8_t *chunk = a.codes + (i * a.chunks + c) * a.chunkBytes;
      if (uint4) {
        _mm_storeu_si128(reinterpret_cast<__m128i *>(chunk + 16 * within),
                         bytes0);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(chunk + 64 + 16 * within),
                         bytes1);
      } else {
        _mm_storeu_si128(reinterpret_cast<__m128i *>(chunk + 32 * within),
                         bytes0);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(chunk + 32 * within + 16),
                         bytes1);
      }
      float *lanes = a.laneScales + (i * a.chunks + c) * 16;
      for (int64_t l = 0; l < lanesPerBlock; ++l)
        lanes[within * lanesPerBlock + l] = scale;
      a.groupTerms[i * groups + b * kBlock / w.group] += scale * sum;
    }
}

/// Weight rows per tile (one hadd tree reduces 8 rows).
constexpr int64_t kTile = 8;
/// How far ahead (bytes) the codes are prefetched into L2.
constexpr int64_t kAhead = 16384;

/// The scales of weight rows [first, first + rows) as f32, row after row
/// (QuantWeight::scalesAvx512; `buffer` has room for kTile * groups + 16),
/// and `shares`: per group, scale * (zero + offset), the part of a group's
/// sum that the activation codes' sums take back out.
__attribute__((target("avx512f,avx512bw,avx512vl"))) const float *
tileScales(const QuantWeight &w, int64_t first, int64_t rows, int32_t offset,
           float *buffer, float *shares) {
  const float *scales = w.scalesAvx512(first, rows, buffer);
  const int64_t count = rows * w.groups(), at = first * w.groups();
  for (int64_t g = 0; g < count; g += 16) {
    const __mmask16 mask = count - g >= 16 ? __mmask16(0xffff)
                                           : __mmask16((1u << (count - g)) - 1);
    __m512i zero = _mm512_set1_epi32(offset);
    if (w.zeros) {
      __m128i bytes = _mm_maskz_loadu_epi8(mask, w.zeros + at + g);
      zero = _mm512_add_epi32(zero, w.codes == QuantCodes::int8
                                        ? _mm512_cvtepi8_epi32(bytes)
                                        : _mm512_cvtepu8_epi32(bytes));
    }
    _mm512_mask_storeu_ps(shares + g, mask,
                          _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, scales + g),
                                        _mm512_cvtepi32_ps(zero)));
  }
  return scales;
}

/// The sums of 8 rows' 8 lanes each, in one vector.
__attribute__((target("avx512f,avx512vl"))) __m256
sumRows8(const float (*lanes)[8]) {
  __m256 r[8];
  for (int t = 0; t < 8; ++t)
    r[t] = _mm256_load_ps(lanes[t]);
  __m256 low =
      _mm256_hadd_ps(_mm256_hadd_ps(r[0], r[1]), _mm256_hadd_ps(r[2], r[3]));
  __m256 high =
      _mm256_hadd_ps(_mm256_hadd_ps(r[4], r[5]), _mm256_hadd_ps(r[6], r[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(low, high, 0x20),
                       _mm256_permute2f128_ps(low, high, 0x31));
}

/// Weight rows [begin, end) against `Rows` quantized input rows, kTile
/// weight rows at a time: their scales convert together, and their results
/// reduce together, so that a short row (k = 768 is 6 chunks of uint4)
/// spends its time in the chunk loop.
template <bool Uint4, bool GroupsOfChunks, int Rows>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void
gemvRows(const Activations &a, const QuantWeight &w, Workspace &work,
         int64_t begin, int64_t end, const float *bias, float *y, int64_t ldy) {
  constexpr bool uint4 = Uint4;
  const int64_t rowBytes = w.rowBytes(), chunks = a.chunks;
  const int64_t weightsPerChunk = uint4 ? 128 : 64;
  // int8 codes are read as unsigned (code + 128): the offset is a zero
  // point of 128 on top of the weight's own.
  const int32_t offset = uint4 ? 0 : 128;
  const int64_t chunksPerGroup = w.group / weightsPerChunk;
  const int64_t lastBytes = rowBytes - (chunks - 1) * 64;
  const __mmask64 lastMask =
      lastBytes >= 64 ? ~__mmask64(0) : (__mmask64(1) << lastBytes) - 1;
  const __m512i nibble = _mm512_set1_epi8(0x0f), flip = _mm512_set1_epi8(-128);
  const int64_t groups = w.groups();
  // Smaller groups: lane i of a chunk's 16 sums belongs to block i / 4
  // (uint4) or i / 8, and so to the chunk's group (block * 32) / group.
  const int64_t blocksPerGroup = w.group / kBlock,
                groupsPerChunk = GroupsOfChunks ? 1 : weightsPerChunk / w.group;
  alignas(64) int32_t spreadLanes[16];
  for (int l = 0; l < 16; ++l)
    spreadLanes[l] = int32_t((uint4 ? l / 4 : l / 8) / blocksPerGroup);
  const __m512i spread = _mm512_load_si512(spreadLanes);
  // The last chunk may hold fewer groups (k = 160 is a chunk and 32). With
  // groups of whole chunks neither mask is used (and the last chunk's
  // count would be negative: no shift by it).
  const __mmask8 chunkGroups = __mmask8((1u << groupsPerChunk) - 1),
                 lastGroups =
                     GroupsOfChunks
                         ? chunkGroups
                         : __mmask8(
                               (1u << std::min(groupsPerChunk,
                                               groups - (chunks - 1) *
                                                            groupsPerChunk)) -
                               1);
  float *scaleBuffer = work.take<float>(kTile * groups + 16),
        *shareBuffer = work.take<float>(kTile * groups + 16);
  const int8_t *codes = a.codes;
  const float *laneScales = a.laneScales, *terms = a.groupTerms;
  const int64_t chunkBytes = a.chunkBytes;
  alignas(32) float lanes[Rows][kTile][8] = {};
  for (int64_t first = begin; first < end; first += kTile) {
    const int64_t rows = std::min(kTile, end - first);
    const float *shares = shareBuffer;
    const float *tile =
        tileScales(w, first, rows, offset, scaleBuffer, shareBuffer);
    for (int64_t t = 0; t < rows; ++t) {
      const uint8_t *row = w.data + (first + t) * rowBytes;
      const float *groupScales = tile + t * groups;
      __m512 total[Rows], partial[Rows];
      for (int i = 0; i < Rows; ++i)
        total[i] = partial[i] = _mm512_setzero_ps();
      int64_t group = 0, inGroup = 0;
      for (int64_t c = 0; c < chunks; ++c) {
        // The hardware prefetcher alone keeps too few lines in flight for
        // a loop this busy: fetch into L2 16 KiB ahead (about 5 tiles of
        // 768-wide uint4 rows). Past the end it fetches nothing harmful.
        _mm_prefetch(reinterpret_cast<const char *>(row + c * 64 + kAhead),
                     _MM_HINT_T1);
        __m512i bytes = c + 1 < chunks
                            ? _mm512_loadu_si512(row + c * 64)
                            : _mm512_maskz_loadu_epi8(lastMask, row + c * 64);
        __m512i sums[Rows];
        if constexpr (uint4) {
          __m512i lo = _mm512_and_si512(bytes, nibble);
          __m512i hi = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
          for (int i = 0; i < Rows; ++i) {
            const int8_t *xq = codes + (i * chunks + c) * chunkBytes;
            sums[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo,
                                          _mm512_loadu_si512(xq));
            sums[i] =
                _mm512_dpbusd_epi32(sums[i], hi, _mm512_loadu_si512(xq + 64));
          }
        } else {
          __m512i unsignedBytes = _mm512_xor_si512(bytes, flip);
          for (int i = 0; i < Rows; ++i)
            sums[i] = _mm512_dpbusd_epi32(
                _mm512_setzero_si512(), unsignedBytes,
                _mm512_loadu_si512(codes + (i * chunks + c) * chunkBytes));
        }
        if constexpr (GroupsOfChunks) {
          // Whole chunks in one group: activation scales per chunk, the
          // weight's once the group ends.
          for (int i = 0; i < Rows; ++i)
            partial[i] = _mm512_fmadd_ps(
                _mm512_cvtepi32_ps(sums[i]),
                _mm512_loadu_ps(laneScales + (i * chunks + c) * 16),
                partial[i]);
          if (++inGroup == chunksPerGroup) {
            __m512 scale = _mm512_set1_ps(groupScales[group++]);
            for (int i = 0; i < Rows; ++i) {
              total[i] = _mm512_fmadd_ps(partial[i], scale, total[i]);
              partial[i] = _mm512_setzero_ps();
            }
            inGroup = 0;
          }
        } else {
          __m512 weightLanes = _mm512_permutexvar_ps(
              spread, _mm512_castps128_ps512(_mm_maskz_loadu_ps(
                          c + 1 < chunks ? chunkGroups : lastGroups,
                          groupScales + c * groupsPerChunk)));
          for (int i = 0; i < Rows; ++i)
            total[i] = _mm512_fmadd_ps(
                _mm512_cvtepi32_ps(sums[i]),
                _mm512_mul_ps(
                    weightLanes,
                    _mm512_loadu_ps(laneScales + (i * chunks + c) * 16)),
                total[i]);
        }
      }
      // Take out the zero points: scale * (zero + offset) * the group's
      // activation term, 16 groups per lane set.
      for (int i = 0; i < Rows; ++i) {
        for (int64_t g = 0; g < groups; g += 16) {
          const __mmask16 mask = groups - g >= 16
                                     ? __mmask16(0xffff)
                                     : __mmask16((1u << (groups - g)) - 1);
          total[i] = _mm512_fnmadd_ps(
              _mm512_maskz_loadu_ps(mask, shares + t * groups + g),
              _mm512_maskz_loadu_ps(mask, terms + i * groups + g), total[i]);
        }
        _mm256_store_ps(lanes[i][t],
                        _mm256_add_ps(_mm512_castps512_ps256(total[i]),
                                      _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                          _mm512_castps_pd(total[i]), 1))));
      }
    }
    const __mmask8 tileMask = __mmask8((1u << rows) - 1);
    const __m256 biases = bias ? _mm256_maskz_loadu_ps(tileMask, bias + first)
                               : _mm256_setzero_ps();
    for (int i = 0; i < Rows; ++i)
      _mm256_mask_storeu_ps(y + i * ldy + (first - begin), tileMask,
                            _mm256_add_ps(sumRows8(lanes[i]), biases));
  }
}

} // namespace

void quantGemvVnni(const float *x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t m,
                   int64_t ldy, Workspace work) {
  Activations activations;
  quantizeActivations(x, m, w, work, activations);
  const bool uint4 = w.codes == QuantCodes::uint4;
  const bool groupsOfChunks = w.group % (uint4 ? 128 : 64) == 0;
  using Gemv = void (*)(const Activations &, const QuantWeight &, Workspace &,
                        int64_t, int64_t, const float *, float *, int64_t);
  // [uint4][groups of whole chunks][rows - 1]
  static constexpr Gemv table[2][2][4] = {
      {{gemvRows<false, false, 1>, gemvRows<false, false, 2>,
        gemvRows<false, false, 3>, gemvRows<false, false, 4>},
       {gemvRows<false, true, 1>, gemvRows<false, true, 2>,
        gemvRows<false, true, 3>, gemvRows<false, true, 4>}},
      {{gemvRows<true, false, 1>, gemvRows<true, false, 2>,
        gemvRows<true, false, 3>, gemvRows<true, false, 4>},
       {gemvRows<true, true, 1>, gemvRows<true, true, 2>,
        gemvRows<true, true, 3>, gemvRows<true, true, 4>}}};
  table[uint4][groupsOfChunks][std::min<int64_t>(m, 4) - 1](
      activations, w, work, begin, end, bias, y, ldy);
}

} // namespace llmc::kernels
