//===- Linear.cpp - fp32 GEMV/GEMM: portable, AVX2+FMA, AVX-512 -----------===//

#include "kernels/cpu/Linear.h"

#include "kernels/cpu/CpuFeatures.h"

#include <immintrin.h>

namespace llmc::kernels {

namespace {

void linearScalar(const float *x, const float *w, const float *bias, float *y,
                  int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const float *row = w + j * k, *in = x + i * k;
      float sum = 0.0f;
      for (int64_t l = 0; l < k; ++l)
        sum += in[l] * row[l];
      y[i * n + j] = sum + (bias ? bias[j] : 0.0f);
    }
}

__attribute__((target("avx2,fma"))) float horizontalSum(__m256 v) {
  __m128 sum =
      _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 1));
  return _mm_cvtss_f32(sum);
}

/// Up to four input rows against one weight row at a time: each weight
/// load feeds four FMAs.
__attribute__((target("avx2,fma"))) void
linearAvx2(const float *x, const float *w, const float *bias, float *y,
           int64_t m, int64_t n, int64_t k) {
  const int64_t vectorEnd = k / 8 * 8;
  for (int64_t i0 = 0; i0 < m; i0 += 4) {
    const int64_t rows = m - i0 < 4 ? m - i0 : 4;
    for (int64_t j = 0; j < n; ++j) {
      const float *row = w + j * k;
      __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(),
                       _mm256_setzero_ps(), _mm256_setzero_ps()};
      for (int64_t l = 0; l < vectorEnd; l += 8) {
        __m256 wv = _mm256_loadu_ps(row + l);
        for (int64_t r = 0; r < rows; ++r)
          acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + (i0 + r) * k + l), wv,
                                   acc[r]);
      }
      for (int64_t r = 0; r < rows; ++r) {
        float sum = horizontalSum(acc[r]);
        for (int64_t l = vectorEnd; l < k; ++l)
          sum += x[(i0 + r) * k + l] * row[l];
        y[(i0 + r) * n + j] = sum + (bias ? bias[j] : 0.0f);
      }
    }
  }
}

/// The AVX2 scheme 16 floats wide; the tail of k under one vector is
/// masked instead of finished in scalar code.
__attribute__((target("avx512f"))) void
linearAvx512(const float *x, const float *w, const float *bias, float *y,
             int64_t m, int64_t n, int64_t k) {
  const int64_t vectorEnd = k / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (k - vectorEnd)) - 1);
  for (int64_t i0 = 0; i0 < m; i0 += 4) {
    const int64_t rows = m - i0 < 4 ? m - i0 : 4;
    for (int64_t j = 0; j < n; ++j) {
      const float *row = w + j * k;
      __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
                       _mm512_setzero_ps(), _mm512_setzero_ps()};
      for (int64_t l = 0; l < vectorEnd; l += 16) {
        __m512 wv = _mm512_loadu_ps(row + l);
        for (int64_t r = 0; r < rows; ++r)
          acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(x + (i0 + r) * k + l), wv,
                                   acc[r]);
      }
      if (tail) {
        __m512 wv = _mm512_maskz_loadu_ps(tail, row + vectorEnd);
        for (int64_t r = 0; r < rows; ++r)
          acc[r] = _mm512_fmadd_ps(
              _mm512_maskz_loadu_ps(tail, x + (i0 + r) * k + vectorEnd), wv,
              acc[r]);
      }
      for (int64_t r = 0; r < rows; ++r)
        y[(i0 + r) * n + j] =
            _mm512_reduce_add_ps(acc[r]) + (bias ? bias[j] : 0.0f);
    }
  }
}

} // namespace

bool cpuHas(CpuIsa isa) {
  const CpuFeatures &cpu = hostCpuFeatures();
  switch (isa) {
  case CpuIsa::scalar:
    return true;
  case CpuIsa::avx2:
    return cpu.avx2 && cpu.fma;
  case CpuIsa::avx512:
    return cpu.avx512f;
  }
  return false;
}

CpuIsa selectedCpuIsa() {
  if (cpuHas(CpuIsa::avx512))
    return CpuIsa::avx512;
  return cpuHas(CpuIsa::avx2) ? CpuIsa::avx2 : CpuIsa::scalar;
}

void linearWith(CpuIsa isa, const float *x, const float *w, const float *bias,
                float *y, int64_t m, int64_t n, int64_t k) {
  switch (isa) {
  case CpuIsa::avx512:
    linearAvx512(x, w, bias, y, m, n, k);
    break;
  case CpuIsa::avx2:
    linearAvx2(x, w, bias, y, m, n, k);
    break;
  case CpuIsa::scalar:
    linearScalar(x, w, bias, y, m, n, k);
    break;
  }
}

void linear(const float *x, const float *w, const float *bias, float *y,
            int64_t m, int64_t n, int64_t k) {
  static const CpuIsa isa = selectedCpuIsa();
  linearWith(isa, x, w, bias, y, m, n, k);
}

} // namespace llmc::kernels
