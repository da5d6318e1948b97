//===- Attention.h - causal attention of a query block on one kv head ----===//
//
// The kernel behind the plan's cached_attention: a block of consecutive
// query tokens times the query heads of one GQA group, all reading the same
// kv head, so each key and value is loaded once for the whole block. The
// keys and values come as tables of row pointers in position order, so the
// caller decides where each lives (the cache, a ring of slots in it, or
// the call's own new keys), and a cache held as f16, bf16, int8 or fp8
// is read where it is, converted in registers (KvLoad.h): no f32 copy of
// it is made. AVX-512 when the CPU has it and head_dim is a
// multiple of 16, AVX2 when head_dim is a multiple of 8 (both with a
// vectorized exp), else portable code. Each query
// row's result depends only on that row and the keys it sees, not on the
// block it is computed in, so decode and prefill agree bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_ATTENTION_H
#define LLMC_KERNELS_CPU_ATTENTION_H

#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/KvLoad.h"
#include "runtime/format/KernelContract.h"

#include <cstdint>

namespace llmc::kernels {

/// The most query rows (tokens x group heads) one attendKvHead call takes.
/// The kernel contract sizes each worker's scratch for it.
constexpr int64_t kMaxAttentionRows = format::kAttentionRowsPerTask;

/// What a query row's scores are: the dot product times `scale`, then,
/// with a `softcap` c, tanh(s / c) * c; with a `window`, a query sees only
/// its last `window` keys (its own included).
struct ScoreRule {
  float scale;
  float softcap = 0.0f;
  int64_t window = 0;
};

/// The keys and values of one kv head, rows of headDim features in
/// position order. The first `cached` rows are where the cache holds them,
/// as `held` (cachedKeys[j], cachedValues[j]; int8 and fp8 codes times
/// keyScales[j] and valueScales[j]), read in place; the rest, the call's
/// own, are f32 rows keys[j] and values[j] (an f32 cache's rows can be
/// passed so too, with cached 0).
struct KeyRows {
  const float *const *keys;
  const float *const *values;
  int64_t cached = 0;
  KvStorage held = KvStorage::f32;
  const void *const *cachedKeys = nullptr;
  const void *const *cachedValues = nullptr;
  const float *keyScales = nullptr;
  const float *valueScales = nullptr;
};

/// Query head g of token t is q[t * rowStride + g * headDim] and writes
/// out at the same offset. Token t sees rows lo_t .. firstVisible + t - 1
/// (lo_t = 0, or firstVisible + t - window with a window, at least 0);
/// the rows span firstVisible + tokens - 1. tokens * group <=
/// kMaxAttentionRows; `scores` is scratch of tokens * group * span floats.
/// With `received`, received[j] += the attention the block's rows give key
/// j (their softmax weights, summed over the rows in order).
void attendKvHead(const float *q, float *out, int64_t rowStride, int64_t tokens,
                  int64_t group, int64_t firstVisible, const KeyRows &rows,
                  int64_t headDim, const ScoreRule &rule, float *scores,
                  float *received = nullptr);

/// attendKvHead with a chosen instruction set (the CPU must have it;
/// tests compare the paths).
void attendKvHeadWith(CpuIsa isa, const float *q, float *out, int64_t rowStride,
                      int64_t tokens, int64_t group, int64_t firstVisible,
                      const KeyRows &rows, int64_t headDim,
                      const ScoreRule &rule, float *scores,
                      float *received = nullptr);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_ATTENTION_H
