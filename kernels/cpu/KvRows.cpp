//===- KvRows.cpp - a narrower KV cache's rows as f32 ---------------------===//

#include "kernels/cpu/KvRows.h"

#include "kernels/common/KvQuant.h"
#include "runtime/format/Float16.h"

#include <immintrin.h>

#include <cstring>

namespace llmc::kernels {

namespace {

/// Inlined into the vector paths for their tails: a call from there into
/// code compiled without AVX would leave the upper vector state dirty for
/// the SSE code after it (a transition penalty on every later call).
__attribute__((always_inline)) inline void
widenPortable(KvStorage held, const uint8_t *row, int64_t first, int64_t count,
              float scale, float *out) {
  for (int64_t i = first; i < count; ++i) {
    uint16_t half;
    switch (held) {
    case KvStorage::f16:
      std::memcpy(&half, row + 2 * i, 2);
      out[i] = format::halfToFloat(half);
      break;
    case KvStorage::bf16:
      std::memcpy(&half, row + 2 * i, 2);
      out[i] = format::bfloat16ToFloat(half);
      break;
    case KvStorage::int8:
      out[i] = kvDecode(row[i], QuantCodes::int8) * scale;
      break;
    case KvStorage::fp8:
      out[i] = kvDecode(row[i], QuantCodes::fp8e4m3) * scale;
      break;
    }
  }
}

/// E4M3FN codes (as 32-bit lanes) to their values: a normal code's
/// exponent and mantissa moved into an f32's, rebiased (7 to 127); a
/// subnormal one's mantissa times 2^-9; the sign on top. (0x7f, NaN, is
/// never written: codes saturate at 448.)
__attribute__((target("avx512f"))) __m512 fp8Avx512(__m512i codes) {
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

__attribute__((target("avx512f"))) void widenAvx512(KvStorage held,
                                                    const uint8_t *row,
                                                    int64_t count, float scale,
                                                    float *out) {
  const __m512 scaled = _mm512_set1_ps(scale);
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 value;
    switch (held) {
    case KvStorage::f16:
      value = _mm512_cvtph_ps(
          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(row + 2 * i)));
      break;
    case KvStorage::bf16:
      value = _mm512_castsi512_ps(_mm512_slli_epi32(
          _mm512_cvtepu16_epi32(_mm256_loadu_si256(
              reinterpret_cast<const __m256i *>(row + 2 * i))),
          16));
      break;
    case KvStorage::int8:
      value =
          _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
                            reinterpret_cast<const __m128i *>(row + i)))),
                        scaled);
      break;
    case KvStorage::fp8:
      value = _mm512_mul_ps(fp8Avx512(_mm512_cvtepu8_epi32(_mm_loadu_si128(
                                reinterpret_cast<const __m128i *>(row + i)))),
                            scaled);
      break;
    }
    _mm512_storeu_ps(out + i, value);
  }
  widenPortable(held, row, i, count, scale, out);
}

__attribute__((target("avx2"))) __m256 fp8Avx2(__m256i codes) {
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

__attribute__((target("avx2,f16c"))) void widenAvx2(KvStorage held,
                                                    const uint8_t *row,
                                                    int64_t count, float scale,
                                                    float *out) {
  const __m256 scaled = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256 value;
    switch (held) {
    case KvStorage::f16:
      value = _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + 2 * i)));
      break;
    case KvStorage::bf16:
      value = _mm256_castsi256_ps(_mm256_slli_epi32(
          _mm256_cvtepu16_epi32(
              _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + 2 * i))),
          16));
      break;
    case KvStorage::int8:
      value =
          _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(
                            reinterpret_cast<const __m128i *>(row + i)))),
                        scaled);
      break;
    case KvStorage::fp8:
      value = _mm256_mul_ps(fp8Avx2(_mm256_cvtepu8_epi32(_mm_loadl_epi64(
                                reinterpret_cast<const __m128i *>(row + i)))),
                            scaled);
      break;
    }
    _mm256_storeu_ps(out + i, value);
  }
  widenPortable(held, row, i, count, scale, out);
}

} // namespace

void widenKvRowWith(CpuIsa isa, KvStorage held, const uint8_t *row,
                    int64_t count, float scale, float *out) {
  if (isa == CpuIsa::avx512)
    return widenAvx512(held, row, count, scale, out);
  // The AVX2 path's f16 needs F16C (every AVX2 CPU llmc has met has it).
  if (isa == CpuIsa::avx2 && (held != KvStorage::f16 || hostCpuFeatures().f16c))
    return widenAvx2(held, row, count, scale, out);
  widenPortable(held, row, 0, count, scale, out);
}

void widenKvRow(KvStorage held, const uint8_t *row, int64_t count, float scale,
                float *out) {
  static const CpuIsa isa = selectedCpuIsa();
  widenKvRowWith(isa, held, row, count, scale, out);
}

} // namespace llmc::kernels
