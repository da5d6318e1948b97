//===- KvLoad.h - vector lanes of a KV row as f32, before its scale -------===//
//
// The CPU attention kernel (Attention.cpp) reads a cached key or value row
// where it is held, as f32, f16, bf16, int8 or fp8 (E4M3FN) codes
// (kernels/common/KvQuant.h), a vector of features at a time, and
// widenKvRow (KvRows.cpp) writes rows out as f32 with the same loads: one
// definition of each conversion. Int8 and fp8 lanes come before their
// scale (the caller multiplies once per row, not per feature). Every
// conversion is exact, so every path gives the same floats.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_KVLOAD_H
#define LLMC_KERNELS_CPU_KVLOAD_H

#include "kernels/common/KvQuant.h"
#include "runtime/format/Float16.h"

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace llmc::kernels {

/// How a cached row's features are held.
enum class KvStorage { f32, f16, bf16, int8, fp8 };

/// Bytes of one feature held as `held`.
constexpr int64_t kvElementBytes(KvStorage held) {
  return held == KvStorage::f32                              ? 4
         : held == KvStorage::f16 || held == KvStorage::bf16 ? 2
                                                             : 1;
}

/// Whether rows held as `held` carry a scale (int8 and fp8 codes).
constexpr bool kvScaled(KvStorage held) {
  return held == KvStorage::int8 || held == KvStorage::fp8;
}

/// The codes of int8 and fp8 rows (KvQuant.h).
constexpr QuantCodes kvCodesOf(KvStorage held) {
  return held == KvStorage::int8 ? QuantCodes::int8 : QuantCodes::fp8e4m3;
}

/// Feature `i` of `row`, before its scale. Inlined into the vector paths'
/// tails: a call from there into code compiled without AVX would leave the
/// upper vector state dirty for the SSE code after it.
template <KvStorage Held>
__attribute__((always_inline)) inline float kvFeature(const void *row,
                                                      int64_t i) {
  const uint8_t *bytes = static_cast<const uint8_t *>(row);
  if constexpr (Held == KvStorage::f32) {
    float value;
    std::memcpy(&value, bytes + 4 * i, 4);
    return value;
  } else if constexpr (Held == KvStorage::f16 || Held == KvStorage::bf16) {
    uint16_t half;
    std::memcpy(&half, bytes + 2 * i, 2);
    return Held == KvStorage::f16 ? format::halfToFloat(half)
                                  : format::bfloat16ToFloat(half);
  } else {
    return kvDecode(bytes[i], kvCodesOf(Held));
  }
}

/// E4M3FN codes (as 32-bit lanes) to their values: a normal code's
/// exponent and mantissa moved into an f32's, rebiased (7 to 127); a
/// subnormal one's mantissa times 2^-9; the sign on top. (0x7f, NaN, is
/// never written: codes saturate at 448.)
__attribute__((target("avx512f"))) inline __m512 fp8Avx512(__m512i codes) {
  const __m512i magnitude = _mm512_and_si512(codes, _mm512_set1_epi32(0x7f));
  const __m512 normal = _mm512_castsi512_ps(_mm512_add_epi32(
      _mm512_slli_epi32(magnitude, 20), _mm512_set1_epi32(120 << 23)));
  const __m512 subnormal = _mm512_mul_ps(_mm512_cvtepi32_ps(magnitude),
                                         _mm512_set1_ps(1.0f / 512.0f));
  const __mmask16 isNormal =
      _mm512_cmpge_epi32_mask(magnitude, _mm512_set1_epi32(8));
  const __m512 value = _mm512_mask_blend_ps(isNormal, subnormal, normal);
  const __m512i sign =
      _mm512_slli_epi32(_mm512_and_si512(codes, _mm512_set1_epi32(0x80)), 24);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(value), sign));
}

/// Features 16c .. 16c + 15 of `row`, before its scale.
template <KvStorage Held>
__attribute__((target("avx512f"), always_inline)) inline __m512
kvLanesAvx512(const void *row, int64_t c) {
  const uint8_t *at =
      static_cast<const uint8_t *>(row) + 16 * c * kvElementBytes(Held);
  if constexpr (Held == KvStorage::f32)
    return _mm512_loadu_ps(at);
  else if constexpr (Held == KvStorage::f16)
    return _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(at)));
  else if constexpr (Held == KvStorage::bf16)
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(
                              reinterpret_cast<const __m256i *>(at))),
                          16));
  else if constexpr (Held == KvStorage::int8)
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(at))));
  else
    return fp8Avx512(_mm512_cvtepu8_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(at))));
}

__attribute__((target("avx2"))) inline __m256 fp8Avx2(__m256i codes) {
  const __m256i magnitude = _mm256_and_si256(codes, _mm256_set1_epi32(0x7f));
  const __m256 normal = _mm256_castsi256_ps(_mm256_add_epi32(
      _mm256_slli_epi32(magnitude, 20), _mm256_set1_epi32(120 << 23)));
  const __m256 subnormal = _mm256_mul_ps(_mm256_cvtepi32_ps(magnitude),
                                         _mm256_set1_ps(1.0f / 512.0f));
  const __m256 isNormal =
      _mm256_castsi256_ps(_mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(7)));
  const __m256 value = _mm256_blendv_ps(subnormal, normal, isNormal);
  const __m256i sign =
      _mm256_slli_epi32(_mm256_and_si256(codes, _mm256_set1_epi32(0x80)), 24);
  return _mm256_castsi256_ps(_mm256_or_si256(_mm256_castps_si256(value), sign));
}

/// Features 8c .. 8c + 7 of `row`, before its scale (f16 needs F16C).
template <KvStorage Held>
__attribute__((target("avx2,f16c"), always_inline)) inline __m256
kvLanesAvx2(const void *row, int64_t c) {
  const uint8_t *at =
      static_cast<const uint8_t *>(row) + 8 * c * kvElementBytes(Held);
  if constexpr (Held == KvStorage::f32)
    return _mm256_loadu_ps(reinterpret_cast<const float *>(at));
  else if constexpr (Held == KvStorage::f16)
    return _mm256_cvtph_ps(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(at)));
  else if constexpr (Held == KvStorage::bf16)
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(
                              reinterpret_cast<const __m128i *>(at))),
                          16));
  else if constexpr (Held == KvStorage::int8)
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i *>(at))));
  else
    return fp8Avx2(_mm256_cvtepu8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i *>(at))));
}

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_KVLOAD_H
