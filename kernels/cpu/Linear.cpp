//===- Linear.cpp - fp32 GEMV/GEMM: portable, AVX2+FMA, AVX-512 -----------===//

#include "kernels/cpu/Linear.h"

#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/VectorMath.h"

#include <algorithm>

#include <cblas.h>
#include <immintrin.h>

namespace llmc::kernels {

namespace {

void linearScalar(const float *x, const float *w, const float *bias, float *y,
                  int64_t m, int64_t n, int64_t k, int64_t ldy) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const float *row = w + j * k, *in = x + i * k;
      float sum = 0.0f;
      for (int64_t l = 0; l < k; ++l)
        sum += in[l] * row[l];
      y[i * ldy + j] = sum + (bias ? bias[j] : 0.0f);
    }
}

/// Decode (one input row): four weight rows at a time, so each load of x
/// feeds four independent FMA chains and four weight streams are in flight.
__attribute__((target("avx2,fma"))) void gemvAvx2(const float *x,
                                                  const float *w,
                                                  const float *bias, float *y,
                                                  int64_t n, int64_t k) {
  const int64_t vectorEnd = k / 8 * 8;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *r0 = w + j * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(),
           a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (int64_t l = 0; l < vectorEnd; l += 8) {
      __m256 xv = _mm256_loadu_ps(x + l);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + l), xv, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + l), xv, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + l), xv, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + l), xv, a3);
    }
    float sums[4] = {horizontalSum(a0), horizontalSum(a1), horizontalSum(a2),
                     horizontalSum(a3)};
    const float *rows[4] = {r0, r1, r2, r3};
    for (int r = 0; r < 4; ++r) {
      for (int64_t l = vectorEnd; l < k; ++l)
        sums[r] += x[l] * rows[r][l];
      y[j + r] = sums[r] + (bias ? bias[j + r] : 0.0f);
    }
  }
  for (; j < n; ++j) {
    const float *row = w + j * k;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t l = 0; l < vectorEnd; l += 8)
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(row + l), _mm256_loadu_ps(x + l),
                            acc);
    float sum = horizontalSum(acc);
    for (int64_t l = vectorEnd; l < k; ++l)
      sum += x[l] * row[l];
    y[j] = sum + (bias ? bias[j] : 0.0f);
  }
}

/// How far ahead (floats) the few-rows paths prefetch their weight rows
/// when they have more than one row of x: the FMAs and x loads then fill
/// the out-of-order window and the hardware prefetcher alone falls behind
/// (AVX-512: llama-1b batch-4 decode step 247 -> 230 ms, 2 KiB and 8 KiB
/// did no better; AVX2 EPYC, 4 rows of x against 2048x768 weights on 2
/// threads: 19 -> 30 GB/s, one row 33 GB/s; 2 KiB 23, 8 KiB 28).
constexpr int64_t kPrefetchAhead = 1024;

/// Rows (up to 4) of x against two weight rows at a time, straight from
/// the weights: a few sequences decoding together read each weight once
/// for all of them, with no packing (8 accumulators, 2 + Rows loads per
/// 2 x Rows FMAs).
template <int Rows>
__attribute__((target("avx2,fma"))) void
fewRowsAvx2(const float *x, const float *w, const float *bias, float *y,
            int64_t n, int64_t k, int64_t ldy) {
  const int64_t vectorEnd = k / 8 * 8;
  for (int64_t j = 0; j < n; j += 2) {
    const int64_t pair = n - j < 2 ? 1 : 2;
    const float *r0 = w + j * k, *r1 = pair == 2 ? r0 + k : r0;
    __m256 acc[4][2];
    for (int r = 0; r < Rows; ++r)
      acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t l = 0; l < vectorEnd; l += 8) {
      _mm_prefetch(reinterpret_cast<const char *>(r0 + l + kPrefetchAhead),
                   _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char *>(r1 + l + kPrefetchAhead),
                   _MM_HINT_T0);
      const __m256 w0 = _mm256_loadu_ps(r0 + l), w1 = _mm256_loadu_ps(r1 + l);
#pragma GCC unroll 4
      for (int r = 0; r < Rows; ++r) {
        const __m256 xv = _mm256_loadu_ps(x + r * k + l);
        acc[r][0] = _mm256_fmadd_ps(xv, w0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(xv, w1, acc[r][1]);
      }
    }
    for (int r = 0; r < Rows; ++r)
      for (int64_t p = 0; p < pair; ++p) {
        const float *row = p ? r1 : r0;
        float sum = horizontalSum(acc[r][p]);
        for (int64_t l = vectorEnd; l < k; ++l)
          sum += x[r * k + l] * row[l];
        y[r * ldy + j + p] = sum + (bias ? bias[j + p] : 0.0f);
      }
  }
}

/// Prefill (more than kStreamedRows rows): OpenBLAS's SGEMM, one thread
/// per call (the caller's pool splits the output features). Measured
/// against our own register-tiled GEMM, oneDNN and BLIS on llama-110m's
/// shapes (bench/gemm_candidates.cpp): about 3x ours; oneDNN as fast but
/// threaded by OpenMP under every pool thread; BLIS slower at 128 rows.
void gemmOpenBlas(const float *x, const float *w, const float *bias, float *y,
                  int64_t m, int64_t n, int64_t k, int64_t ldy) {
  static const bool oneThread = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)oneThread;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, x,
              static_cast<int>(k), w, static_cast<int>(k), 0.0f, y,
              static_cast<int>(ldy));
  if (bias)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        y[i * ldy + j] += bias[j];
}

/// Up to 4 rows of x through AVX2's straight-from-the-weights kernels.
void fewRowsAvx2(const float *x, const float *w, const float *bias, float *y,
                 int64_t m, int64_t n, int64_t k, int64_t ldy) {
  switch (m) {
  case 1:
    return gemvAvx2(x, w, bias, y, n, k);
  case 2:
    return fewRowsAvx2<2>(x, w, bias, y, n, k, ldy);
  case 3:
    return fewRowsAvx2<3>(x, w, bias, y, n, k, ldy);
  default:
    return fewRowsAvx2<4>(x, w, bias, y, n, k, ldy);
  }
}

/// Rows (up to 4) of x against one weight row at a time, straight from the
/// weights (decode, and a few sequences decoding together): each weight row
/// is one sequential stream (which the hardware prefetcher follows best:
/// measured 12 % faster than four rows side by side), read 64 floats a
/// step into four partial sums per input row, so each weight vector loaded
/// feeds Rows FMAs. Every output sums over k in the same order whatever
/// Rows is, so a sequence gets the same bits alone and in a batch. The tail
/// of k under one vector is masked, not finished in scalar code.
template <int Rows>
__attribute__((target("avx512f"))) void
dotRowsAvx512(const float *x, const float *w, const float *bias, float *y,
              int64_t n, int64_t k, int64_t ldy) {
  constexpr int kUnroll = 4;
  const int64_t unrolledEnd = k / (16 * kUnroll) * (16 * kUnroll);
  const int64_t vectorEnd = k / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (k - vectorEnd)) - 1);
  for (int64_t j = 0; j < n; ++j) {
    const float *row = w + j * k;
    __m512 acc[Rows][kUnroll];
    for (int r = 0; r < Rows; ++r)
      for (int u = 0; u < kUnroll; ++u)
        acc[r][u] = _mm512_setzero_ps();
    for (int64_t l = 0; l < unrolledEnd; l += 16 * kUnroll) {
      __m512 wv[kUnroll];
      for (int u = 0; u < kUnroll; ++u)
        wv[u] = _mm512_loadu_ps(row + l + 16 * u);
      if (Rows > 1)
        for (int u = 0; u < kUnroll; ++u)
          _mm_prefetch(
              reinterpret_cast<const char *>(row + l + 16 * u + kPrefetchAhead),
              _MM_HINT_T0);
      for (int r = 0; r < Rows; ++r)
        for (int u = 0; u < kUnroll; ++u)
          acc[r][u] = _mm512_fmadd_ps(_mm512_loadu_ps(x + r * k + l + 16 * u),
                                      wv[u], acc[r][u]);
    }
    for (int64_t l = unrolledEnd; l < vectorEnd; l += 16) {
      const __m512 wv = _mm512_loadu_ps(row + l);
      for (int r = 0; r < Rows; ++r)
        acc[r][0] =
            _mm512_fmadd_ps(_mm512_loadu_ps(x + r * k + l), wv, acc[r][0]);
    }
    if (tail) {
      const __m512 wv = _mm512_maskz_loadu_ps(tail, row + vectorEnd);
      for (int r = 0; r < Rows; ++r)
        acc[r][1] = _mm512_fmadd_ps(
            _mm512_maskz_loadu_ps(tail, x + r * k + vectorEnd), wv, acc[r][1]);
    }
    for (int r = 0; r < Rows; ++r) {
      const __m512 sum = _mm512_add_ps(_mm512_add_ps(acc[r][0], acc[r][1]),
                                       _mm512_add_ps(acc[r][2], acc[r][3]));
      y[r * ldy + j] = _mm512_reduce_add_ps(sum) + (bias ? bias[j] : 0.0f);
    }
  }
}

/// Up to 8 rows of x through AVX-512's straight-from-the-weights kernel:
/// a speculative verify call's k + 1 tokens read the weights once (from 5
/// rows on its accumulators no longer all fit the 32 registers, and the
/// compiler keeps some in L1, which costs less than a second pass over
/// the weights from memory).
void fewRowsAvx512(const float *x, const float *w, const float *bias, float *y,
                   int64_t m, int64_t n, int64_t k, int64_t ldy) {
  switch (m) {
  case 1:
    return dotRowsAvx512<1>(x, w, bias, y, n, k, ldy);
  case 2:
    return dotRowsAvx512<2>(x, w, bias, y, n, k, ldy);
  case 3:
    return dotRowsAvx512<3>(x, w, bias, y, n, k, ldy);
  case 4:
    return dotRowsAvx512<4>(x, w, bias, y, n, k, ldy);
  case 5:
    return dotRowsAvx512<5>(x, w, bias, y, n, k, ldy);
  case 6:
    return dotRowsAvx512<6>(x, w, bias, y, n, k, ldy);
  case 7:
    return dotRowsAvx512<7>(x, w, bias, y, n, k, ldy);
  default:
    return dotRowsAvx512<8>(x, w, bias, y, n, k, ldy);
  }
}

/// Rows of x up to which the weights are streamed once per 8 rows (4 with
/// AVX2) rather than handed to the SGEMM, which packs all of them at every
/// call. Measured on llama-110m, 2 threads (2026-12-05, docs/serving.md):
/// a decode step of 16 sequences takes 48 ms streamed against 123 ms
/// through the SGEMM (AVX2: 57 against 110 ms), a 64-token prompt 89
/// against 208 ms (AVX2: 129 against 249). Up to this many rows each row
/// also gets the bits it gets alone, so a server's batch of up to 64
/// decoding sequences changes no sequence's tokens.
constexpr int64_t kStreamedRows = 64;

/// y = x W^T (+ bias) with `fewRows` (the ISA's kernel for up to `most`
/// rows) for short inputs, `most` rows at a time, and the SGEMM beyond.
void linearBy(void (*fewRows)(const float *, const float *, const float *,
                              float *, int64_t, int64_t, int64_t, int64_t),
              int64_t most, const float *x, const float *w, const float *bias,
              float *y, int64_t m, int64_t n, int64_t k, int64_t ldy) {
  if (m > kStreamedRows)
    return gemmOpenBlas(x, w, bias, y, m, n, k, ldy);
  for (int64_t i = 0; i < m; i += most)
    fewRows(x + i * k, w, bias, y + i * ldy, std::min<int64_t>(m - i, most), n,
            k, ldy);
}

} // namespace

void linearWith(CpuIsa isa, const float *x, const float *w, const float *bias,
                float *y, int64_t m, int64_t n, int64_t k, int64_t ldy) {
  if (ldy == 0)
    ldy = n;
  switch (isa) {
  case CpuIsa::avx512:
    linearBy(fewRowsAvx512, 8, x, w, bias, y, m, n, k, ldy);
    break;
  case CpuIsa::avx2:
    linearBy(fewRowsAvx2, 4, x, w, bias, y, m, n, k, ldy);
    break;
  case CpuIsa::scalar:
    linearScalar(x, w, bias, y, m, n, k, ldy);
    break;
  }
}

void linear(const float *x, const float *w, const float *bias, float *y,
            int64_t m, int64_t n, int64_t k, int64_t ldy) {
  static const CpuIsa isa = selectedCpuIsa();
  linearWith(isa, x, w, bias, y, m, n, k, ldy);
}

} // namespace llmc::kernels
