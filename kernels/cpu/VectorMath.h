//===- VectorMath.h - vector helpers shared by the CPU kernels ------------===//
//
// Inline, for the kernels' AVX2 and AVX-512 paths (callers are compiled
// with the matching target attribute and chosen at run time).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_VECTORMATH_H
#define LLMC_KERNELS_CPU_VECTORMATH_H

#include <immintrin.h>

#include <cstdint>

namespace llmc::kernels {

/// The sum of 8 lanes.
__attribute__((target("avx2,fma"))) inline float horizontalSum(__m256 v) {
  __m128 sum =
      _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 1));
  return _mm_cvtss_f32(sum);
}

/// The largest of 8 lanes.
__attribute__((target("avx2"))) inline float horizontalMax(__m256 v) {
  __m128 top =
      _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  top = _mm_max_ps(top, _mm_movehl_ps(top, top));
  top = _mm_max_ss(top, _mm_shuffle_ps(top, top, 1));
  return _mm_cvtss_f32(top);
}

/// e^x = 2^n e^r with n = round(x log2(e)) and r = x - n ln2 (ln2 in two
/// parts, the first exact in few bits, so r keeps its precision; |r| <=
/// ln2 / 2), e^r by its Taylor polynomial to degree 6 (relative error
/// under 2e-7), coefficients from the highest degree down. The AVX-512 and
/// AVX2 paths share these, so they differ only in how 2^n is applied.
struct ExpReduction {
  static constexpr float kLog2e = 1.44269504088896341f;
  static constexpr float kLn2High = 0.693145751953125f;
  static constexpr float kLn2Low = 1.428606765330187045e-06f;
  static constexpr float kTaylor[7] = {
      1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
};

/// e^x, 16 lanes (ExpReduction), scaled by 2^n with scalef. x is clamped
/// to [-104, 88.7]: 0 (or a denormal) below, the largest float's
/// neighbourhood above.
__attribute__((target("avx512f"))) inline __m512 expAvx512(__m512 x) {
  using E = ExpReduction;
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)),
                    _mm512_set1_ps(88.7f));
  const __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(E::kLog2e)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(E::kLn2High), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(E::kLn2Low), r);
  __m512 p = _mm512_set1_ps(E::kTaylor[0]);
  for (int i = 1; i < 7; ++i)
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(E::kTaylor[i]));
  return _mm512_scalef_ps(p, n);
}

/// e^x, 8 lanes (ExpReduction), 2^n built in the exponent bits, so x is
/// clamped to [-87.3, 88.37] (n within a normal float's exponents):
/// e^-87.3 (about 1e-38) stands in for anything smaller.
__attribute__((target("avx2,fma"))) inline __m256 expAvx2(__m256 x) {
  using E = ExpReduction;
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)),
                    _mm256_set1_ps(88.37f));
  const __m256 n =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(E::kLog2e)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(E::kLn2High), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(E::kLn2Low), r);
  __m256 p = _mm256_set1_ps(E::kTaylor[0]);
  for (int i = 1; i < 7; ++i)
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(E::kTaylor[i]));
  const __m256i exponent = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

/// Lanes [0, count) of an 8-lane mask (all 8 from count 8 up), for
/// maskload and maskstore.
__attribute__((target("avx2"))) inline __m256i firstLanes(int64_t count) {
  return _mm256_cmpgt_epi32(
      _mm256_set1_epi32(static_cast<int>(count < 8 ? count : 8)),
      _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_VECTORMATH_H
