//===- Attention.cpp - attention on one kv head: AVX-512 and portable -----===//

#include "kernels/cpu/Attention.h"

#include "kernels/common/AttentionShape.h"
#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/KvLoad.h"
#include "kernels/cpu/VectorMath.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace llmc::kernels {

namespace {

/// acc[r] += p_rj v_j over 16 features per chunk, for the rows of one
/// value held as `Held` (p already times the row's scale).
template <KvStorage Held, int Rows, int Chunks>
__attribute__((target("avx512f"), always_inline)) inline void
weighValue(__m512 (&acc)[Rows][Chunks], const void *value, const float *scores,
           int64_t span, int64_t j) {
  __m512 v[Chunks];
  for (int c = 0; c < Chunks; ++c)
    v[c] = kvLanesAvx512<Held>(value, c);
  for (int r = 0; r < Rows; ++r) {
    const __m512 p = _mm512_set1_ps(scores[r * span + j]);
    for (int c = 0; c < Chunks; ++c)
      acc[r][c] = _mm512_fmadd_ps(p, v[c], acc[r][c]);
  }
}

/// out_r = sum_j p_rj v_j * inverseSum_r with every feature of every row in
/// registers, so the values stream once, key after key (decode: a few rows,
/// head_dim 64 or 128): the cached rows where they are held, then the
/// call's own.
template <KvStorage Held, int Rows, int Chunks>
__attribute__((target("avx512f"))) void
weighValuesByKey(const KeyRows &kv, int64_t span, const float *scores,
                 const float *inverseSum, float *const *target) {
  __m512 acc[Rows][Chunks];
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chunks; ++c)
      acc[r][c] = _mm512_setzero_ps();
  const int64_t cached = std::min(kv.cached, span);
  for (int64_t j = 0; j < cached; ++j)
    weighValue<Held>(acc, kv.cachedValues[j], scores, span, j);
  for (int64_t j = cached; j < span; ++j)
    weighValue<KvStorage::f32>(acc, kv.values[j], scores, span, j);
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chunks; ++c)
      _mm512_storeu_ps(target[r] + 16 * c,
                       _mm512_mul_ps(acc[r][c], _mm512_set1_ps(inverseSum[r])));
}

/// Key j's row and the row 16 keys ahead (to fetch), value j's row, and
/// the factor of key j's dot products and value j's weights (1 but for
/// int8 and fp8 rows: their scales).
struct KeyAt {
  const void *key, *ahead, *value;
  float keyScale = 1.0f, valueScale = 1.0f;

  KeyAt(const KeyRows &kv, int64_t j, int64_t span) {
    if (j < kv.cached) {
      key = kv.cachedKeys[j];
      ahead = kv.cachedKeys[std::min(j + 16, std::min(kv.cached, span) - 1)];
      value = kv.cachedValues[j];
      if (kv.keyScales) {
        keyScale = kv.keyScales[j];
        valueScale = kv.valueScales[j];
      }
    } else {
      key = kv.keys[j];
      ahead = kv.keys[std::min(j + 16, span - 1)];
      value = kv.values[j];
    }
  }
};

/// Fetches the row 16 keys ahead into L1 and this key's value into L2
/// (decode reads the whole cache of a head once per step, one short
/// stream per head).
inline void fetchAhead(const KeyAt &at, int64_t rowBytes) {
  for (int64_t line = 0; line < rowBytes; line += 64) {
    _mm_prefetch(static_cast<const char *>(at.ahead) + line, _MM_HINT_T0);
    _mm_prefetch(static_cast<const char *>(at.value) + line, _MM_HINT_T1);
  }
}

/// Each query row's dot product with key `at`, 16 features at a time (the
/// key's vectors loaded once for every row; a row's sum over the chunks in
/// order, whatever the block).
template <KvStorage Held>
__attribute__((target("avx512f"), always_inline)) inline void
dotKeyAvx512(const void *key, int64_t chunks, int64_t rows,
             const float *const *query, __m512 *acc) {
  for (int64_t r = 0; r < rows; ++r)
    acc[r] = _mm512_setzero_ps();
  for (int64_t c = 0; c < chunks; ++c) {
    const __m512 k = kvLanesAvx512<Held>(key, c);
    for (int64_t r = 0; r < rows; ++r)
      acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(query[r] + 16 * c), k, acc[r]);
  }
}

/// received[j] += each row's softmax weight of key j (numerators times
/// the row's inverse sum), rows in order.
inline void addReceived(const float *scores, const float *inverseSum,
                        int64_t rows, int64_t span, float *received) {
  if (!received)
    return;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < span; ++j)
      received[j] += scores[r * span + j] * inverseSum[r];
}

/// Scales each row's weights of the cached values by their scales (int8
/// and fp8 rows), so the weighting multiplies codes.
inline void scaleCachedWeights(const KeyRows &kv, int64_t rows, int64_t span,
                               float *scores) {
  if (!kv.valueScales)
    return;
  const int64_t cached = std::min(kv.cached, span);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cached; ++j)
      scores[r * span + j] *= kv.valueScales[j];
}

/// A score after its scale and soft-cap.
inline float capped(float dot, const ScoreRule &rule) {
  return math::softCap(dot * rule.scale, rule.softcap);
}

/// The first row a token seeing `visible` rows sees (see attendKvHead).
inline int64_t firstSeen(int64_t visible, const ScoreRule &rule) {
  return firstVisibleKey(visible - 1, rule.window);
}

/// Where each query row of a block (token t = r / group, head r % group)
/// reads and writes, and the keys it sees: first[r] .. visible[r] - 1.
struct BlockRows {
  const float *query[kMaxAttentionRows];
  float *target[kMaxAttentionRows];
  int64_t first[kMaxAttentionRows], visible[kMaxAttentionRows];

  BlockRows(const float *q, float *out, int64_t rowStride, int64_t rows,
            int64_t group, int64_t firstVisible, int64_t headDim,
            const ScoreRule &rule) {
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t t = r / group, g = r % group;
      query[r] = q + t * rowStride + g * headDim;
      target[r] = out + t * rowStride + g * headDim;
      visible[r] = firstVisible + t;
      first[r] = firstSeen(visible[r], rule);
    }
  }
};

template <KvStorage Held>
__attribute__((target("avx512f"))) void
attendAvx512(const float *q, float *out, int64_t rowStride, int64_t tokens,
             int64_t group, int64_t firstVisible, const KeyRows &kv,
             int64_t headDim, const ScoreRule &rule, float *scores,
             float *received) {
  const int64_t rows = tokens * group;
  const int64_t span = firstVisible + tokens - 1; // keys the last row sees
  const int64_t chunks = headDim / 16;
  const BlockRows block(q, out, rowStride, rows, group, firstVisible, headDim,
                        rule);
  const auto &[query, target, first, visible] = block;
  for (int64_t j = 0; j < span; ++j) {
    const KeyAt at(kv, j, span);
    __m512 acc[kMaxAttentionRows];
    if (j < kv.cached) {
      fetchAhead(at, headDim * kvElementBytes(Held));
      dotKeyAvx512<Held>(at.key, chunks, rows, query, acc);
    } else {
      fetchAhead(at, headDim * 4);
      dotKeyAvx512<KvStorage::f32>(at.key, chunks, rows, query, acc);
    }
    for (int64_t r = 0; r < rows; ++r) {
      float dot = _mm512_reduce_add_ps(acc[r]);
      if (kvScaled(Held) && j < kv.cached)
        dot *= at.keyScale;
      scores[r * span + j] = j >= first[r] && j < visible[r]
                                 ? capped(dot, rule)
                                 : -std::numeric_limits<float>::infinity();
    }
  }
  // Softmax numerators in place over each row's own keys, counted from its
  // first (0 elsewhere), and their sums.
  float inverseSum[kMaxAttentionRows];
  for (int64_t r = 0; r < rows; ++r) {
    float *s = scores + r * span + first[r];
    const int64_t n = visible[r] - first[r];
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
    std::fill(scores + r * span, s, 0.0f);
    std::fill(s + n, scores + (r + 1) * span, 0.0f);
    inverseSum[r] = 1.0f / _mm512_reduce_add_ps(sum);
  }
  // out = sum_j p_j v_j / sum. Every row sums over the keys in order, in
  // one accumulator per 16 features, on either path (the zeros of keys a
  // row does not see add nothing).
  addReceived(scores, inverseSum, rows, span, received);
  scaleCachedWeights(kv, rows, span, scores);
  switch (rows * 100 + chunks) {
  case 104:
    return weighValuesByKey<Held, 1, 4>(kv, span, scores, inverseSum, target);
  case 204:
    return weighValuesByKey<Held, 2, 4>(kv, span, scores, inverseSum, target);
  case 404:
    return weighValuesByKey<Held, 4, 4>(kv, span, scores, inverseSum, target);
  case 108:
    return weighValuesByKey<Held, 1, 8>(kv, span, scores, inverseSum, target);
  case 208:
    return weighValuesByKey<Held, 2, 8>(kv, span, scores, inverseSum, target);
  default:
    break;
  }
  // More rows than registers for all their features: 16 features at a
  // time, over all keys.
  const int64_t cached = std::min(kv.cached, span);
  for (int64_t c = 0; c < chunks; ++c) {
    __m512 acc[kMaxAttentionRows];
    for (int64_t r = 0; r < rows; ++r)
      acc[r] = _mm512_setzero_ps();
    for (int64_t j = 0; j < span; ++j) {
      const __m512 v = j < cached
                           ? kvLanesAvx512<Held>(kv.cachedValues[j], c)
                           : kvLanesAvx512<KvStorage::f32>(kv.values[j], c);
      for (int64_t r = 0; r < rows; ++r)
        acc[r] =
            _mm512_fmadd_ps(_mm512_set1_ps(scores[r * span + j]), v, acc[r]);
    }
    for (int64_t r = 0; r < rows; ++r)
      _mm512_storeu_ps(target[r] + 16 * c,
                       _mm512_mul_ps(acc[r], _mm512_set1_ps(inverseSum[r])));
  }
}

/// weighValue 8 features per chunk.
template <KvStorage Held, int Rows, int Chunks>
__attribute__((target("avx2,fma,f16c"), always_inline)) inline void
weighValueAvx2(__m256 (&acc)[Rows][Chunks], const void *value,
               const float *scores, int64_t span, int64_t j) {
  for (int r = 0; r < Rows; ++r) {
    const __m256 p = _mm256_broadcast_ss(scores + r * span + j);
    for (int c = 0; c < Chunks; ++c)
      acc[r][c] = _mm256_fmadd_ps(p, kvLanesAvx2<Held>(value, c), acc[r][c]);
  }
}

/// out_r = sum_j p_rj v_j * inverseSum_r, 8 features at a time: the AVX2
/// counterpart of weighValuesByKey (all features of few rows in registers,
/// values streamed key after key).
template <KvStorage Held, int Rows, int Chunks>
__attribute__((target("avx2,fma,f16c"))) void
weighValuesByKeyAvx2(const KeyRows &kv, int64_t span, const float *scores,
                     const float *inverseSum, float *const *target) {
  __m256 acc[Rows][Chunks];
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chunks; ++c)
      acc[r][c] = _mm256_setzero_ps();
  const int64_t cached = std::min(kv.cached, span);
  for (int64_t j = 0; j < cached; ++j)
    weighValueAvx2<Held>(acc, kv.cachedValues[j], scores, span, j);
  for (int64_t j = cached; j < span; ++j)
    weighValueAvx2<KvStorage::f32>(acc, kv.values[j], scores, span, j);
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Chunks; ++c)
      _mm256_storeu_ps(target[r] + 8 * c,
                       _mm256_mul_ps(acc[r][c], _mm256_set1_ps(inverseSum[r])));
}

/// dotKeyAvx512 8 features at a time.
template <KvStorage Held, int Rows>
__attribute__((target("avx2,fma,f16c"), always_inline)) inline void
dotKeyAvx2(const void *key, int64_t chunks, const float *const *query,
           __m256 (&acc)[Rows]) {
  for (int64_t r = 0; r < Rows; ++r)
    acc[r] = _mm256_setzero_ps();
  for (int64_t c = 0; c < chunks; ++c) {
    const __m256 k = kvLanesAvx2<Held>(key, c);
    for (int64_t r = 0; r < Rows; ++r)
      acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(query[r] + 8 * c), k, acc[r]);
  }
}

/// attendAvx512 8 lanes wide (head_dim a multiple of 8) for Rows = tokens
/// x group rows (a constant, so the rows' accumulators stay in registers),
/// with the same order of every sum, so a row's result is again
/// independent of its block.
template <KvStorage Held, int Rows>
__attribute__((target("avx2,fma,f16c"))) void
attendRowsAvx2(const float *q, float *out, int64_t rowStride, int64_t group,
               int64_t firstVisible, const KeyRows &kv, int64_t headDim,
               const ScoreRule &rule, float *scores, float *received) {
  constexpr int64_t rows = Rows;
  const int64_t tokens = Rows / group;
  const int64_t span = firstVisible + tokens - 1; // keys the last row sees
  const int64_t chunks = headDim / 8;
  const BlockRows block(q, out, rowStride, rows, group, firstVisible, headDim,
                        rule);
  const auto &[query, target, first, visible] = block;
  // Scores: each key loaded once for every row of the block; the keys
  // fetched 16 rows ahead and this key's value into L2, as attendAvx512
  // does.
  for (int64_t j = 0; j < span; ++j) {
    const KeyAt at(kv, j, span);
    __m256 acc[Rows];
    if (j < kv.cached) {
      fetchAhead(at, headDim * kvElementBytes(Held));
      dotKeyAvx2<Held>(at.key, chunks, query, acc);
    } else {
      fetchAhead(at, headDim * 4);
      dotKeyAvx2<KvStorage::f32>(at.key, chunks, query, acc);
    }
    for (int64_t r = 0; r < rows; ++r) {
      float dot = horizontalSum(acc[r]);
      if (kvScaled(Held) && j < kv.cached)
        dot *= at.keyScale;
      scores[r * span + j] = j >= first[r] && j < visible[r]
                                 ? capped(dot, rule)
                                 : -std::numeric_limits<float>::infinity();
    }
  }
  // Softmax numerators in place over each row's own keys (0 elsewhere).
  float inverseSum[Rows];
  for (int64_t r = 0; r < rows; ++r) {
    float *s = scores + r * span + first[r];
    const int64_t n = visible[r] - first[r];
    const __m256 lowest =
        _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    __m256 top = lowest;
    for (int64_t j = 0; j < n; j += 8) {
      const __m256i lanes = firstLanes(n - j);
      top = _mm256_max_ps(
          top, _mm256_blendv_ps(lowest, _mm256_maskload_ps(s + j, lanes),
                                _mm256_castsi256_ps(lanes)));
    }
    const __m256 shift = _mm256_set1_ps(horizontalMax(top));
    __m256 sum = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; j += 8) {
      const __m256i lanes = firstLanes(n - j);
      const __m256 e = _mm256_and_ps(
          expAvx2(_mm256_sub_ps(_mm256_maskload_ps(s + j, lanes), shift)),
          _mm256_castsi256_ps(lanes));
      _mm256_maskstore_ps(s + j, lanes, e);
      sum = _mm256_add_ps(sum, e);
    }
    std::fill(scores + r * span, s, 0.0f);
    std::fill(s + n, scores + (r + 1) * span, 0.0f);
    inverseSum[r] = 1.0f / horizontalSum(sum);
  }
  // out = sum_j p_j v_j / sum, every row over the keys in order in one
  // accumulator per 8 features, on either path.
  addReceived(scores, inverseSum, rows, span, received);
  scaleCachedWeights(kv, rows, span, scores);
  switch (rows * 100 + chunks) {
  case 104:
    return weighValuesByKeyAvx2<Held, 1, 4>(kv, span, scores, inverseSum,
                                            target);
  case 108:
    return weighValuesByKeyAvx2<Held, 1, 8>(kv, span, scores, inverseSum,
                                            target);
  case 204:
    return weighValuesByKeyAvx2<Held, 2, 4>(kv, span, scores, inverseSum,
                                            target);
  default:
    break;
  }
  const int64_t cached = std::min(kv.cached, span);
  for (int64_t c = 0; c < chunks; ++c) {
    __m256 acc[Rows];
    for (int64_t r = 0; r < rows; ++r)
      acc[r] = _mm256_setzero_ps();
    for (int64_t j = 0; j < span; ++j) {
      const __m256 v = j < cached
                           ? kvLanesAvx2<Held>(kv.cachedValues[j], c)
                           : kvLanesAvx2<KvStorage::f32>(kv.values[j], c);
      for (int64_t r = 0; r < rows; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(scores + r * span + j), v,
                                 acc[r]);
    }
    for (int64_t r = 0; r < rows; ++r)
      _mm256_storeu_ps(target[r] + 8 * c,
                       _mm256_mul_ps(acc[r], _mm256_set1_ps(inverseSum[r])));
  }
}

/// attendRowsAvx2 for tokens x group rows (at most kMaxAttentionRows).
template <KvStorage Held>
void attendAvx2(const float *q, float *out, int64_t rowStride, int64_t tokens,
                int64_t group, int64_t firstVisible, const KeyRows &kv,
                int64_t headDim, const ScoreRule &rule, float *scores,
                float *received) {
  using Attend =
      void (*)(const float *, float *, int64_t, int64_t, int64_t,
               const KeyRows &, int64_t, const ScoreRule &, float *, float *);
  static constexpr Attend byRows[kMaxAttentionRows] = {
      attendRowsAvx2<Held, 1>, attendRowsAvx2<Held, 2>, attendRowsAvx2<Held, 3>,
      attendRowsAvx2<Held, 4>, attendRowsAvx2<Held, 5>, attendRowsAvx2<Held, 6>,
      attendRowsAvx2<Held, 7>, attendRowsAvx2<Held, 8>};
  byRows[tokens * group - 1](q, out, rowStride, group, firstVisible, kv,
                             headDim, rule, scores, received);
}

} // namespace

namespace {

/// The dot product of `query` with a key row held as `Held`, before its
/// scale. Eight partial sums: independent chains the compiler vectorizes
/// (one running sum is a chain of dependent adds).
template <KvStorage Held>
float dotPortable(const float *query, const void *key, int64_t headDim) {
  float partial[8] = {};
  int64_t d = 0;
  for (; d + 8 <= headDim; d += 8)
    for (int e = 0; e < 8; ++e)
      partial[e] += query[d + e] * kvFeature<Held>(key, d + e);
  float dot = ((partial[0] + partial[4]) + (partial[1] + partial[5])) +
              ((partial[2] + partial[6]) + (partial[3] + partial[7]));
  for (; d < headDim; ++d)
    dot += query[d] * kvFeature<Held>(key, d);
  return dot;
}

/// o += p * value, a value row held as `Held` (p times its scale).
template <KvStorage Held>
void weighPortable(float *o, float p, const void *value, int64_t headDim) {
  for (int64_t d = 0; d < headDim; ++d)
    o[d] += p * kvFeature<Held>(value, d);
}

template <KvStorage Held>
void attendPortable(const float *q, float *out, int64_t rowStride,
                    int64_t tokens, int64_t group, int64_t firstVisible,
                    const KeyRows &kv, int64_t headDim, const ScoreRule &rule,
                    float *scores, float *received) {
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t g = 0; g < group; ++g) {
      const float *query = q + t * rowStride + g * headDim;
      const int64_t visible = firstVisible + t;
      const int64_t first = firstSeen(visible, rule);
      float top = -std::numeric_limits<float>::infinity();
      for (int64_t j = first; j < visible; ++j) {
        const KeyAt at(kv, j, visible);
        const float dot =
            j < kv.cached
                ? (kvScaled(Held)
                       ? dotPortable<Held>(query, at.key, headDim) * at.keyScale
                       : dotPortable<Held>(query, at.key, headDim))
                : dotPortable<KvStorage::f32>(query, at.key, headDim);
        scores[j] = capped(dot, rule);
        top = std::max(top, scores[j]);
      }
      float sum = 0.0f;
      for (int64_t j = first; j < visible; ++j)
        sum += scores[j] = std::exp(scores[j] - top);
      const float inverse = 1.0f / sum;
      if (received)
        for (int64_t j = first; j < visible; ++j)
          received[j] += scores[j] * inverse;
      float *o = out + t * rowStride + g * headDim;
      std::fill(o, o + headDim, 0.0f);
      for (int64_t j = first; j < visible; ++j) {
        const KeyAt at(kv, j, visible);
        const float p = scores[j] * inverse;
        if (j >= kv.cached)
          weighPortable<KvStorage::f32>(o, p, at.value, headDim);
        else if (kvScaled(Held))
          weighPortable<Held>(o, p * at.valueScale, at.value, headDim);
        else
          weighPortable<Held>(o, p, at.value, headDim);
      }
    }
}

template <KvStorage Held>
void attendHeld(CpuIsa isa, const float *q, float *out, int64_t rowStride,
                int64_t tokens, int64_t group, int64_t firstVisible,
                const KeyRows &rows, int64_t headDim, const ScoreRule &rule,
                float *scores, float *received) {
  if (isa == CpuIsa::avx512 && headDim % 16 == 0 &&
      tokens * group <= kMaxAttentionRows)
    return attendAvx512<Held>(q, out, rowStride, tokens, group, firstVisible,
                              rows, headDim, rule, scores, received);
  // The AVX2 path's f16 needs F16C (every AVX2 CPU llmc has met has it).
  if (isa != CpuIsa::scalar && headDim % 8 == 0 &&
      tokens * group <= kMaxAttentionRows &&
      (Held != KvStorage::f16 || hostCpuFeatures().f16c))
    return attendAvx2<Held>(q, out, rowStride, tokens, group, firstVisible,
                            rows, headDim, rule, scores, received);
  attendPortable<Held>(q, out, rowStride, tokens, group, firstVisible, rows,
                       headDim, rule, scores, received);
}

} // namespace

void attendKvHeadWith(CpuIsa isa, const float *q, float *out, int64_t rowStride,
                      int64_t tokens, int64_t group, int64_t firstVisible,
                      const KeyRows &rows, int64_t headDim,
                      const ScoreRule &rule, float *scores, float *received) {
  switch (rows.cached > 0 ? rows.held : KvStorage::f32) {
  case KvStorage::f32:
    return attendHeld<KvStorage::f32>(isa, q, out, rowStride, tokens, group,
                                      firstVisible, rows, headDim, rule, scores,
                                      received);
  case KvStorage::f16:
    return attendHeld<KvStorage::f16>(isa, q, out, rowStride, tokens, group,
                                      firstVisible, rows, headDim, rule, scores,
                                      received);
  case KvStorage::bf16:
    return attendHeld<KvStorage::bf16>(isa, q, out, rowStride, tokens, group,
                                       firstVisible, rows, headDim, rule,
                                       scores, received);
  case KvStorage::int8:
    return attendHeld<KvStorage::int8>(isa, q, out, rowStride, tokens, group,
                                       firstVisible, rows, headDim, rule,
                                       scores, received);
  case KvStorage::fp8:
    return attendHeld<KvStorage::fp8>(isa, q, out, rowStride, tokens, group,
                                      firstVisible, rows, headDim, rule, scores,
                                      received);
  }
}

void attendKvHead(const float *q, float *out, int64_t rowStride, int64_t tokens,
                  int64_t group, int64_t firstVisible, const KeyRows &rows,
                  int64_t headDim, const ScoreRule &rule, float *scores,
                  float *received) {
  static const CpuIsa isa = selectedCpuIsa();
  attendKvHeadWith(isa, q, out, rowStride, tokens, group, firstVisible, rows,
                   headDim, rule, scores, received);
}

} // namespace llmc::kernels
