//===- AttentionShape.h - the extents of a cached attention call ----------===//
//
// q [batch, tokens, qHeads, headDim]; k and v [batch, tokens, kvHeads,
// headDim]; the KV cache [layers, 2, batch, cacheHeads, capacity, headDim],
// of which the call reads and writes kv heads headOffset ..
// headOffset + kvHeads - 1 of plane `layer` (a layer with fewer kv heads
// than the plane, a head-pruned one, shares it with others); the scores are
// scaled by `scale`, then soft-capped to tanh(s / softcap) * softcap when
// softcap > 0; with a `window` > 0 a query sees only its last `window` keys.
// The layer holds `slots` slots of its plane from `slotOffset` (the whole
// plane: 0 and capacity); fewer slots than positions make a ring, position p in
// slot slotOffset + p % slots.
// Paged (blockTokens > 0): the cache is a pool of blocks [blocks, layers,
// 2, cacheHeads, blockTokens, headDim], and row b of a block table
// [batch, tableColumns] lists sequence b's blocks: position p is in slot
// p % blockTokens of block table[b][p / blockTokens] (cachedRow); the
// sequence holds capacity = tableColumns x blockTokens positions, and no
// ring.
// The call's tokens start at one position for every sequence
// (positionStride 0: prefill, decode) or at each sequence's own
// (positionStride 1: speculative verification, where sequences accept
// different numbers of tokens): pastOf.
// The runtime's operand checks produce it
// (runtime/exec/TransformerShapes.h) and the device kernels take it as it
// is (kernels/cuda/Transformer.h): one definition for both, with the rules
// every attention kernel follows (CPU and GPU).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_COMMON_ATTENTIONSHAPE_H
#define LLMC_KERNELS_COMMON_ATTENTIONSHAPE_H

#include "kernels/common/ElementwiseMath.h"

#include <cstdint>

namespace llmc::kernels {

struct AttentionShape {
  int64_t batch, tokens, qHeads, kvHeads, headDim, layers, capacity, layer;
  float scale;
  float softcap = 0.0f;
  int64_t window = 0;
  int64_t slotOffset = 0, slots = 0;
  int64_t cacheHeads = 0, headOffset = 0;
  int64_t positionStride = 0;
  int64_t blockTokens = 0, tableColumns = 0, poolBlocks = 0;
  /// Rows of a block's plane: blockTokens, or one more holding an int8 or
  /// fp8 plane's scale (KvQuant.h).
  int64_t blockRows = 0;
};

/// Where sequence `b`'s tokens start: its entry of the position operand.
LLMC_HOST_DEVICE int64_t pastOf(const AttentionShape &s,
                                const int64_t *position, int64_t b) {
  return position[b * s.positionStride];
}

/// Where the layer's slots of kv head `h` (of the call's kvHeads) start in
/// the cache, for keys (kv 0) or values (kv 1) of sequence `b`; position p
/// is p % slots rows of headDim further.
LLMC_HOST_DEVICE int64_t cachedSlots(const AttentionShape &s, int64_t kv,
                                     int64_t b, int64_t h) {
  return ((((s.layer * 2 + kv) * s.batch + b) * s.cacheHeads + s.headOffset +
           h) *
              s.capacity +
          s.slotOffset) *
         s.headDim;
}

/// Paged: where the plane of the block holding position `p` of kv head `h`
/// of sequence `b` starts, keys (kv 0) or values (kv 1): its blockRows
/// rows of headDim.
LLMC_HOST_DEVICE int64_t cachedPlane(const AttentionShape &s,
                                     const int32_t *table, int64_t kv,
                                     int64_t b, int64_t h, int64_t p) {
  const int64_t block = table[b * s.tableColumns + p / s.blockTokens];
  const int64_t rows = s.blockRows > 0 ? s.blockRows : s.blockTokens;
  return (((block * s.layers + s.layer) * 2 + kv) * s.cacheHeads +
          s.headOffset + h) *
         rows * s.headDim;
}

/// Where position `p` of kv head `h` of sequence `b` is, keys (kv 0) or
/// values (kv 1): contiguous, its slot among the layer's; paged, its slot
/// of the block `table` lists for it.
LLMC_HOST_DEVICE int64_t cachedRow(const AttentionShape &s,
                                   const int32_t *table, int64_t kv, int64_t b,
                                   int64_t h, int64_t p) {
  if (s.blockTokens == 0)
    return cachedSlots(s, kv, b, h) + p % s.slots * s.headDim;
  return cachedPlane(s, table, kv, b, h, p) + p % s.blockTokens * s.headDim;
}

/// Where the attention position `p` of kv head `h` receives is summed in
/// its sequence's array (KernelContext::attentionReceived): [layers,
/// cacheHeads, capacity] floats.
LLMC_HOST_DEVICE int64_t receivedSlot(const AttentionShape &s, int64_t h,
                                      int64_t p) {
  return (s.layer * s.cacheHeads + s.headOffset + h) * s.capacity + p;
}

/// Whether the layer's slots are a ring: it has a window they hold, so
/// positions past them wrap around (never in a paged cache).
LLMC_HOST_DEVICE bool ringed(const AttentionShape &s) {
  return s.blockTokens == 0 && s.window > 0 && s.window <= s.slots;
}

/// The first position a query at `position` sees with a `window` (0:
/// none, position 0).
LLMC_HOST_DEVICE int64_t firstVisibleKey(int64_t position, int64_t window) {
  return window > 0 && position + 1 > window ? position + 1 - window : 0;
}

} // namespace llmc::kernels

#endif // LLMC_KERNELS_COMMON_ATTENTIONSHAPE_H
