//===- Linear.cpp - fp32 GEMV/GEMM: portable, AVX2+FMA, AVX-512 -----------===//

#include "kernels/cpu/Linear.h"

#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/VectorMath.h"

#include <immintrin.h>

#include <algorithm>

#include <vector>

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

/// Prefill GEMM: weights are packed 16 output features at a time into a
/// [k][16] panel, and a register tile of up to 6 input rows x 16 outputs
/// (12 accumulators) walks the panel k in blocks of kDepth, so the panel
/// block stays in L1 while every tile of rows passes over it.
constexpr int64_t kPanel = 16;
constexpr int64_t kDepth = 256;

/// C[Rows][16] (+)= x[Rows][kc] P[kc][16]: two panel loads and Rows
/// broadcasts feed 2 x Rows independent FMAs per step of k.
template <int Rows>
__attribute__((target("avx2,fma"))) void
panelTileAvx2(const float *x, int64_t k, int64_t kc, const float *panel,
              float *c, int64_t ldc, bool first) {
  __m256 acc[6][2];
  for (int r = 0; r < Rows; ++r) {
    acc[r][0] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + r * ldc);
    acc[r][1] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + r * ldc + 8);
  }
  for (int64_t l = 0; l < kc; ++l) {
    const __m256 b0 = _mm256_loadu_ps(panel + l * kPanel);
    const __m256 b1 = _mm256_loadu_ps(panel + l * kPanel + 8);
#pragma GCC unroll 6
    for (int r = 0; r < Rows; ++r) {
      const __m256 a = _mm256_broadcast_ss(x + r * k + l);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    _mm256_storeu_ps(c + r * ldc, acc[r][0]);
    _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
  }
}

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

/// C[rows][panel] (+)= x[rows][kc] P[kc][panel] (`first`: = instead), for
/// one row count.
using PanelTile = void (*)(const float *x, int64_t k, int64_t kc,
                           const float *panel, float *c, int64_t ldc,
                           bool first);

/// One ISA's pieces of the prefill GEMM: weights packed `panel` outputs at
/// a time ([k][panel], zeros past the last row), walked in k blocks of
/// `depth`, by register tiles of up to `tileRows` rows of x (`tiles[r]`
/// takes r rows).
struct PanelGemm {
  int64_t panel, depth, tileRows;
  void (*pack)(const float *w, int64_t k, int64_t width, float *panel);
  const PanelTile *tiles;
};

/// y[m, n] = x W^T (+ bias) through `gemm`: a full panel accumulates in y
/// itself, the last, partial one in a panel-wide tile copied out after.
void panelGemm(const PanelGemm &gemm, const float *x, const float *w,
               const float *bias, float *y, int64_t m, int64_t n, int64_t k,
               int64_t ldy) {
  static thread_local std::vector<float> panel, tile;
  panel.resize(static_cast<size_t>(k * gemm.panel));
  tile.resize(static_cast<size_t>(m * gemm.panel));
  for (int64_t j0 = 0; j0 < n; j0 += gemm.panel) {
    const int64_t width = std::min(n - j0, gemm.panel);
    gemm.pack(w + j0 * k, k, width, panel.data());
    float *c = width == gemm.panel ? y + j0 : tile.data();
    const int64_t ldc = width == gemm.panel ? ldy : gemm.panel;
    for (int64_t l0 = 0; l0 < k; l0 += gemm.depth)
      for (int64_t i = 0; i < m; i += gemm.tileRows)
        gemm.tiles[std::min(m - i, gemm.tileRows)](
            x + i * k + l0, k, std::min(k - l0, gemm.depth),
            panel.data() + l0 * gemm.panel, c + i * ldc, ldc, l0 == 0);
    if (c == y + j0 && !bias)
      continue;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < width; ++j)
        y[i * ldy + j0 + j] = c[i * ldc + j] + (bias ? bias[j0 + j] : 0.0f);
  }
}

/// The portable packing (AVX2's 16-wide panels).
void packPanelAvx2(const float *w, int64_t k, int64_t width, float *panel) {
  for (int64_t l = 0; l < k; ++l)
    for (int64_t j = 0; j < kPanel; ++j)
      panel[l * kPanel + j] = j < width ? w[j * k + l] : 0.0f;
}

constexpr PanelTile kTilesAvx2[7] = {
    nullptr,          panelTileAvx2<1>, panelTileAvx2<2>, panelTileAvx2<3>,
    panelTileAvx2<4>, panelTileAvx2<5>, panelTileAvx2<6>};

void linearAvx2(const float *x, const float *w, const float *bias, float *y,
                int64_t m, int64_t n, int64_t k, int64_t ldy) {
  switch (m) {
  case 1:
    return gemvAvx2(x, w, bias, y, n, k);
  case 2:
    return fewRowsAvx2<2>(x, w, bias, y, n, k, ldy);
  case 3:
    return fewRowsAvx2<3>(x, w, bias, y, n, k, ldy);
  case 4:
    return fewRowsAvx2<4>(x, w, bias, y, n, k, ldy);
  default:
    return panelGemm({kPanel, kDepth, 6, packPanelAvx2, kTilesAvx2}, x, w, bias,
                     y, m, n, k, ldy);
  }
}

/// How far ahead (floats) the few-rows path prefetches its weight row when
/// it has more than one row of x: the FMAs and x loads then fill the
/// out-of-order window and the hardware prefetcher alone falls behind
/// (llama-1b batch-4 decode step 247 -> 230 ms; 2 KiB and 8 KiB did no
/// better).
constexpr int64_t kPrefetchAhead = 1024;

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

/// The prefill GEMM 16 floats wide: panels of 32 output features, a
/// register tile of up to 12 input rows x 32 outputs (24 accumulators),
/// the panel walked in blocks of kDepth512 so a block (16 KiB) stays in L1.
constexpr int64_t kPanel512 = 32;
constexpr int64_t kDepth512 = 128;

template <int Rows>
__attribute__((target("avx512f"))) void
panelTileAvx512(const float *x, int64_t k, int64_t kc, const float *panel,
                float *c, int64_t ldc, bool first) {
  __m512 acc[Rows][2];
  for (int r = 0; r < Rows; ++r) {
    acc[r][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc);
    acc[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc + 16);
  }
  for (int64_t l = 0; l < kc; ++l) {
    const __m512 b0 = _mm512_loadu_ps(panel + l * kPanel512);
    const __m512 b1 = _mm512_loadu_ps(panel + l * kPanel512 + 16);
#pragma GCC unroll 12
    for (int r = 0; r < Rows; ++r) {
      const __m512 a = _mm512_set1_ps(x[r * k + l]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    _mm512_storeu_ps(c + r * ldc, acc[r][0]);
    _mm512_storeu_ps(c + r * ldc + 16, acc[r][1]);
  }
}

/// dst[l][0..16) = src[0..16)[l] for l < 16: rows 16 floats long, `stride`
/// apart, into dst's rows `dstStride` apart (a 16x16 transpose in
/// registers: 64 shuffles for 256 floats).
__attribute__((target("avx512f"))) void transpose16x16(const float *src,
                                                       int64_t stride,
                                                       float *dst,
                                                       int64_t dstStride) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i)
    r[i] = _mm512_loadu_ps(src + i * stride);
  // Pairs of rows interleaved, then groups of four: u[4i + e] holds, in
  // each 128-bit lane L, rows 4i..4i+3 at column 4L + e.
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // Column 4L + e gathers lane L of r[e], r[4 + e], r[8 + e], r[12 + e].
  for (int e = 0; e < 4; ++e) {
    const __m512 p0 = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x44);
    const __m512 p1 = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xEE);
    const __m512 p2 = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x44);
    const __m512 p3 = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xEE);
    _mm512_storeu_ps(dst + (0 + e) * dstStride,
                     _mm512_shuffle_f32x4(p0, p2, 0x88));
    _mm512_storeu_ps(dst + (4 + e) * dstStride,
                     _mm512_shuffle_f32x4(p0, p2, 0xDD));
    _mm512_storeu_ps(dst + (8 + e) * dstStride,
                     _mm512_shuffle_f32x4(p1, p3, 0x88));
    _mm512_storeu_ps(dst + (12 + e) * dstStride,
                     _mm512_shuffle_f32x4(p1, p3, 0xDD));
  }
}

/// panel[l][j] = w[j][l] for the `width` (<= 32) weight rows at w, zeros
/// beyond: full 16x16 blocks by transposes in registers, the rest one
/// float at a time.
__attribute__((target("avx512f"))) void
packPanelAvx512(const float *w, int64_t k, int64_t width, float *panel) {
  const int64_t blockEnd = k / 16 * 16;
  int64_t j = 0;
  for (; j + 16 <= width; j += 16)
    for (int64_t l = 0; l < blockEnd; l += 16)
      transpose16x16(w + j * k + l, k, panel + l * kPanel512 + j, kPanel512);
  for (int64_t jj = 0; jj < kPanel512; ++jj) {
    const float *row = jj < width ? w + jj * k : nullptr;
    for (int64_t l = jj < j ? blockEnd : 0; l < k; ++l)
      panel[l * kPanel512 + jj] = row ? row[l] : 0.0f;
  }
}

/// The tiles by rows of x (index: rows, 1..12).
constexpr PanelTile kTiles512[13] = {nullptr,
                                     panelTileAvx512<1>,
                                     panelTileAvx512<2>,
                                     panelTileAvx512<3>,
                                     panelTileAvx512<4>,
                                     panelTileAvx512<5>,
                                     panelTileAvx512<6>,
                                     panelTileAvx512<7>,
                                     panelTileAvx512<8>,
                                     panelTileAvx512<9>,
                                     panelTileAvx512<10>,
                                     panelTileAvx512<11>,
                                     panelTileAvx512<12>};

void linearAvx512(const float *x, const float *w, const float *bias, float *y,
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
  default:
    return panelGemm({kPanel512, kDepth512, 12, packPanelAvx512, kTiles512}, x,
                     w, bias, y, m, n, k, ldy);
  }
}

} // namespace

void linearWith(CpuIsa isa, const float *x, const float *w, const float *bias,
                float *y, int64_t m, int64_t n, int64_t k, int64_t ldy) {
  if (ldy == 0)
    ldy = n;
  switch (isa) {
  case CpuIsa::avx512:
    linearAvx512(x, w, bias, y, m, n, k, ldy);
    break;
  case CpuIsa::avx2:
    linearAvx2(x, w, bias, y, m, n, k, ldy);
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
