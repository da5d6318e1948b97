//===- TransformerShapes.h - the operand checks of transformer kernels ----===//
//
// Which extents a rope, cached_attention, gated_mlp or mlp call takes, and
// whether its operands agree, is the same question on every device,
// answered here once; the devices' kernels (runtime/cpu, runtime/cuda)
// then compute.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_TRANSFORMERSHAPES_H
#define LLMC_RUNTIME_EXEC_TRANSFORMERSHAPES_H

#include "kernels/common/AttentionShape.h"
#include "runtime/exec/Kernel.h"

namespace llmc::runtime {

/// rope: x [batch, tokens, heads, headDim], cos and sin [tablePositions,
/// rotary / 2], positions [tokens] (or [batch, tokens]: perBatch).
struct RopeShape {
  int64_t batch, tokens, heads, headDim, rotary, tablePositions;
  bool perBatch;
};
Expected<RopeShape> ropeShape(const Tensor &x, const Tensor &cos,
                              const Tensor &sin, const Tensor &positions);

/// cached_attention: q [batch, tokens, qHeads, headDim], k and v [batch,
/// tokens, kvHeads, headDim], the cache [layers, 2, batch, kvHeads,
/// capacity, headDim]; params `layer`, `scale`, `causal` (required),
/// `window`, `softcap`, `slot_offset` and `slots` (the layer's ring in its
/// plane); `position` one i64 (every sequence's tokens start there) or one
/// per sequence ([batch]: positionStride 1). The positions' values are the
/// kernel's to check with checkCachePositions (a GPU reads them on the
/// device). With `blocks`, an i32 block table [batch, columns], the cache
/// is a pool of blocks [blocks, layers, 2, kvHeads, block tokens,
/// headDim] (paged; no ring; an i8 or f8e4m3 pool has one more row per
/// plane, its scale: block tokens + 1); its entries are the kernel's to
/// check with checkBlockTable.
using AttentionShape = kernels::AttentionShape;
Expected<AttentionShape> attentionShape(const KernelContext &c, const Tensor &q,
                                        const Tensor &k, const Tensor &v,
                                        const Tensor &cache,
                                        const Tensor &position,
                                        const Tensor *blocks = nullptr);

/// Whether the call's tokens at `past` fit the cache: within the layer's
/// slots, or anywhere when they are a ring (kernels::ringed).
Status checkCachePositions(const AttentionShape &s, int64_t past);

/// Paged: whether sequence `b`'s blocks for positions 0 .. past + tokens
/// - 1 (entries of `table`, s.tableColumns a row) are in the pool.
Status checkBlockTable(const AttentionShape &s, const int32_t *table, int64_t b,
                       int64_t past);

/// linears: x [..., k], one weight per result, then as many biases or
/// none; whether there are biases.
Expected<bool> linearsBiased(const KernelContext &c, const Tensor &x);

/// gated_mlp: gate and up [hidden, dim], down [dim, hidden], x [..., dim].
Status checkGatedMlp(const Tensor &x, const Tensor &gate, const Tensor &up,
                     const Tensor &down);

/// mlp: up [hidden, dim], down [dim, hidden], x [..., dim], biases of
/// hidden and dim elements when present.
Status checkMlp(const Tensor &x, const Tensor &up, const Tensor &down,
                const Tensor *upBias, const Tensor *downBias);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_TRANSFORMERSHAPES_H
