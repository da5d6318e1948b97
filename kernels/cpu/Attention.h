//===- Attention.h - causal attention of a query block on one kv head ----===//
//
// The kernel behind the plan's cached_attention: a block of consecutive
// query tokens times the query heads of one GQA group, all reading the same
// kv head of the cache, so each key and value is loaded once for the whole
// block. AVX-512 when the CPU has it and head_dim is a multiple of 16 (with
// a vectorized exp), else the portable cachedAttention of Transformer.h.
// Each query row's result depends only on that row and the keys it sees,
// not on the block it is computed in, so decode and prefill agree bit for
// bit on attention.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_ATTENTION_H
#define LLMC_KERNELS_CPU_ATTENTION_H

#include <cstdint>

namespace llmc::kernels {

/// The most query rows (tokens x group heads) one attendKvHead call takes.
constexpr int64_t kMaxAttentionRows = 8;

/// Query head g of token t is q[t * rowStride + g * headDim] and writes
/// out at the same offset; token t sees keys 0 .. firstVisible + t - 1 of
/// `keys`/`values` ([positions, headDim] rows). tokens * group <=
/// kMaxAttentionRows; `scores` is scratch of tokens * group *
/// (firstVisible + tokens - 1) floats.
void attendKvHead(const float *q, float *out, int64_t rowStride, int64_t tokens,
                  int64_t group, int64_t firstVisible, const float *keys,
                  const float *values, int64_t headDim, float scale,
                  float *scores);

/// attendKvHead with the portable code only (tests compare the paths).
void attendKvHeadPortable(const float *q, float *out, int64_t rowStride,
                          int64_t tokens, int64_t group, int64_t firstVisible,
                          const float *keys, const float *values,
                          int64_t headDim, float scale, float *scores);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_ATTENTION_H
