//===- Transformer.cpp - norms, RoPE, activations, softmax, attention -----===//

#include "kernels/cpu/Transformer.h"

#include "kernels/common/ElementwiseMath.h"

#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/VectorMath.h"

#include <algorithm>
#include <cmath>

namespace llmc::kernels {

void rmsNorm(const float *x, const float *w, float eps, float *y, int64_t rows,
             int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *in = x + r * dim;
    float *out = y + r * dim;
    double squares = 0.0;
    for (int64_t i = 0; i < dim; ++i)
      squares += double(in[i]) * in[i];
    float inverse = 1.0f / std::sqrt(float(squares / dim) + eps);
    for (int64_t i = 0; i < dim; ++i)
      out[i] = in[i] * inverse * w[i];
  }
}

void layerNorm(const float *x, const float *w, const float *b, float eps,
               float *y, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *in = x + r * dim;
    float *out = y + r * dim;
    double sum = 0.0;
    for (int64_t i = 0; i < dim; ++i)
      sum += in[i];
    double mean = sum / dim, squares = 0.0;
    for (int64_t i = 0; i < dim; ++i)
      squares += (in[i] - mean) * (in[i] - mean);
    float inverse = 1.0f / std::sqrt(float(squares / dim) + eps);
    for (int64_t i = 0; i < dim; ++i)
      out[i] = float(in[i] - mean) * inverse * w[i] + (b ? b[i] : 0.0f);
  }
}

void rope(float *x, const float *cos, const float *sin,
          const int64_t *positions, int64_t tokens, int64_t heads,
          int64_t headDim, int64_t rotaryDim, RopePairs pairs) {
  const int64_t half = rotaryDim / 2;
  for (int64_t t = 0; t < tokens; ++t) {
    const float *c = cos + positions[t] * half, *s = sin + positions[t] * half;
    for (int64_t h = 0; h < heads; ++h) {
      float *v = x + (t * heads + h) * headDim;
      for (int64_t i = 0; i < half; ++i) {
        int64_t a = pairs == RopePairs::interleaved ? 2 * i : i;
        int64_t b = pairs == RopePairs::interleaved ? 2 * i + 1 : i + half;
        float re = v[a], im = v[b];
        v[a] = re * c[i] - im * s[i];
        v[b] = re * s[i] + im * c[i];
      }
    }
  }
}

namespace {

__attribute__((target("avx512f"))) void siluAvx512(float *x, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 lanes =
        n - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(lanes, x + i);
    const __m512 e = expAvx512(_mm512_sub_ps(_mm512_setzero_ps(), v));
    _mm512_mask_storeu_ps(x + i, lanes,
                          _mm512_div_ps(v, _mm512_add_ps(one, e)));
  }
}

__attribute__((target("avx2,fma"))) void siluAvx2(float *x, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i lanes = firstLanes(n - i);
    const __m256 v = _mm256_maskload_ps(x + i, lanes);
    const __m256 e = expAvx2(_mm256_sub_ps(_mm256_setzero_ps(), v));
    _mm256_maskstore_ps(x + i, lanes, _mm256_div_ps(v, _mm256_add_ps(one, e)));
  }
}

} // namespace

void siluWith(CpuIsa isa, float *x, int64_t n) {
  switch (isa) {
  case CpuIsa::avx512:
    return siluAvx512(x, n);
  case CpuIsa::avx2:
    return siluAvx2(x, n);
  case CpuIsa::scalar:
    for (int64_t i = 0; i < n; ++i)
      x[i] = math::silu(x[i]);
  }
}

void silu(float *x, int64_t n) {
  static const CpuIsa isa = selectedCpuIsa();
  siluWith(isa, x, n);
}

void gelu(float *x, int64_t n, bool tanhApproximation) {
  for (int64_t i = 0; i < n; ++i)
    x[i] = tanhApproximation ? math::geluTanh(x[i]) : math::gelu(x[i]);
}

void softmax(float *x, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    float *row = x + r * n;
    float top = *std::max_element(row, row + n);
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i)
      sum += row[i] = std::exp(row[i] - top);
    for (int64_t i = 0; i < n; ++i)
      row[i] /= sum;
  }
}

} // namespace llmc::kernels
