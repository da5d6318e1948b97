//===- Attention.cpp - attention on one kv head: AVX-512 and portable -----===//

#include "kernels/cpu/Attention.h"

#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/Transformer.h"
#include "kernels/cpu/VectorMath.h"

#include <immintrin.h>

#include <limits>

namespace llmc::kernels {

namespace {

/// out_r = sum_j p_rj v_j * inverseSum_r with every feature of every row in
/// registers, so the values stream once, key after key (decode: a few rows,
/// head_dim 64 or 128).
template <int Rows, int Chunks>
__attribute__((target("avx512f"))) void
weighValuesByKey(const float *values, int64_t span, const float *scores,
                 const float *inverseSum, float *const *target) {
  __m512 acc[Rows][Chunks];
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chunks; ++c)
      acc[r][c] = _mm512_setzero_ps();
  for (int64_t j = 0; j < span; ++j) {
    __m512 v[Chunks];
    for (int c = 0; c < Chunks; ++c)
      v[c] = _mm512_loadu_ps(values + j * 16 * Chunks + 16 * c);
    for (int r = 0; r < Rows; ++r) {
      const __m512 p = _mm512_set1_ps(scores[r * span + j]);
      for (int c = 0; c < Chunks; ++c)
        acc[r][c] = _mm512_fmadd_ps(p, v[c], acc[r][c]);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chunks; ++c)
      _mm512_storeu_ps(target[r] + 16 * c,
                       _mm512_mul_ps(acc[r][c], _mm512_set1_ps(inverseSum[r])));
}

__attribute__((target("avx512f"))) void
attendAvx512(const float *q, float *out, int64_t rowStride, int64_t tokens,
             int64_t group, int64_t firstVisible, const float *keys,
             const float *values, int64_t headDim, float scale, float *scores) {
  const int64_t rows = tokens * group;
  const int64_t span = firstVisible + tokens - 1; // keys the last row sees
  const int64_t chunks = headDim / 16;
  const float *query[kMaxAttentionRows];
  float *target[kMaxAttentionRows];
  int64_t visible[kMaxAttentionRows];
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = r / group, g = r % group;
    query[r] = q + t * rowStride + g * headDim;
    target[r] = out + t * rowStride + g * headDim;
    visible[r] = firstVisible + t;
  }
  // Scores: each key's vectors loaded once for every row; a row's sum runs
  // over the chunks of head_dim in order, whatever the block.
  for (int64_t j = 0; j < span; ++j) {
    const float *key = keys + j * headDim;
    __m512 acc[kMaxAttentionRows];
    for (int64_t r = 0; r < rows; ++r)
      acc[r] = _mm512_setzero_ps();
    for (int64_t c = 0; c < chunks; ++c) {
      // Decode reads the whole cache of a head once per step, one short
      // stream per head: fetch keys 4 KiB ahead, and this key's value
      // into L2 for the weighting pass.
      _mm_prefetch(reinterpret_cast<const char *>(key + 16 * c + 1024),
                   _MM_HINT_T0);
      _mm_prefetch(
          reinterpret_cast<const char *>(values + j * headDim + 16 * c),
          _MM_HINT_T1);
      const __m512 kv = _mm512_loadu_ps(key + 16 * c);
      for (int64_t r = 0; r < rows; ++r)
        acc[r] =
            _mm512_fmadd_ps(_mm512_loadu_ps(query[r] + 16 * c), kv, acc[r]);
    }
    for (int64_t r = 0; r < rows; ++r)
      scores[r * span + j] = j < visible[r]
                                 ? _mm512_reduce_add_ps(acc[r]) * scale
                                 : -std::numeric_limits<float>::infinity();
  }
  // Softmax numerators in place (0 past a row's last key) and their sums.
  float inverseSum[kMaxAttentionRows];
  for (int64_t r = 0; r < rows; ++r) {
    float *s = scores + r * span;
    const int64_t n = visible[r];
    __m512 top = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t j = 0;
    for (; j + 16 <= n; j += 16)
      top = _mm512_max_ps(top, _mm512_loadu_ps(s + j));
    const __mmask16 rest = static_cast<__mmask16>((1u << (n - j)) - 1);
    top =
        _mm512_mask_max_ps(top, rest, top, _mm512_maskz_loadu_ps(rest, s + j));
    const __m512 shift = _mm512_set1_ps(_mm512_reduce_max_ps(top));
    __m512 sum = _mm512_setzero_ps();
    for (j = 0; j + 16 <= n; j += 16) {
      const __m512 e = expAvx512(_mm512_sub_ps(_mm512_loadu_ps(s + j), shift));
      _mm512_storeu_ps(s + j, e);
      sum = _mm512_add_ps(sum, e);
    }
    const __m512 e = _mm512_maskz_mov_ps(
        rest,
        expAvx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(rest, s + j), shift)));
    _mm512_mask_storeu_ps(s + j, rest, e);
    sum = _mm512_add_ps(sum, e);
    for (j = n; j < span; ++j)
      s[j] = 0.0f;
    inverseSum[r] = 1.0f / _mm512_reduce_add_ps(sum);
  }
  // out = sum_j p_j v_j / sum. Every row sums over the keys in order, in
  // one accumulator per 16 features, on either path.
  switch (rows * 100 + chunks) {
  case 104:
    return weighValuesByKey<1, 4>(values, span, scores, inverseSum, target);
  case 204:
    return weighValuesByKey<2, 4>(values, span, scores, inverseSum, target);
  case 404:
    return weighValuesByKey<4, 4>(values, span, scores, inverseSum, target);
  case 108:
    return weighValuesByKey<1, 8>(values, span, scores, inverseSum, target);
  case 208:
    return weighValuesByKey<2, 8>(values, span, scores, inverseSum, target);
  default:
    break;
  }
  // More rows than registers for all their features: 16 features at a
  // time, over all keys.
  for (int64_t c = 0; c < chunks; ++c) {
    __m512 acc[kMaxAttentionRows];
    for (int64_t r = 0; r < rows; ++r)
      acc[r] = _mm512_setzero_ps();
    for (int64_t j = 0; j < span; ++j) {
      const __m512 v = _mm512_loadu_ps(values + j * headDim + 16 * c);
      for (int64_t r = 0; r < rows; ++r)
        acc[r] =
            _mm512_fmadd_ps(_mm512_set1_ps(scores[r * span + j]), v, acc[r]);
    }
    for (int64_t r = 0; r < rows; ++r)
      _mm512_storeu_ps(target[r] + 16 * c,
                       _mm512_mul_ps(acc[r], _mm512_set1_ps(inverseSum[r])));
  }
}

} // namespace

void attendKvHeadPortable(const float *q, float *out, int64_t rowStride,
                          int64_t tokens, int64_t group, int64_t firstVisible,
                          const float *keys, const float *values,
                          int64_t headDim, float scale, float *scores) {
  // cachedAttention with one query token and the group as its heads; the
  // capacity only spaces kv heads, of which there is one here.
  for (int64_t t = 0; t < tokens; ++t)
    cachedAttention(q + t * rowStride, keys, values, out + t * rowStride,
                    scores, 1, firstVisible + t - 1, group, 1, headDim,
                    firstVisible + tokens, scale);
}

void attendKvHead(const float *q, float *out, int64_t rowStride, int64_t tokens,
                  int64_t group, int64_t firstVisible, const float *keys,
                  const float *values, int64_t headDim, float scale,
                  float *scores) {
  static const bool avx512 = cpuHas(CpuIsa::avx512);
  if (avx512 && headDim % 16 == 0 && tokens * group <= kMaxAttentionRows)
    return attendAvx512(q, out, rowStride, tokens, group, firstVisible, keys,
                        values, headDim, scale, scores);
  attendKvHeadPortable(q, out, rowStride, tokens, group, firstVisible, keys,
                       values, headDim, scale, scores);
}

} // namespace llmc::kernels
