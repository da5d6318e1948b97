//===- AttentionKeys.cuh - where a cached attention's keys live -----------===//
//
// The attention kernels (Transformer.cu, PrefillAttention.cu) attend before
// the call's keys and values are written into the cache: a position before
// the call's first is read from the cache (slot slotOffset + p % slots of
// the layer's plane, a ring when the layer has a window that fits its
// slots; in a paged cache, its slot of the block its table lists:
// cachedRow), a later one from the call's own k and v. So a prefill longer than
// a ring is exact. What a query sees (ringed, firstVisibleKey) and the soft-cap
// (math::softCap) are AttentionShape.h's and ElementwiseMath.h's, shared with
// the CPU kernels.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_ATTENTIONKEYS_CUH
#define LLMC_KERNELS_CUDA_ATTENTIONKEYS_CUH

#include "kernels/common/AttentionShape.h"

#include <cstdint>

namespace llmc::kernels::cuda {

/// The keys and values of one (sequence, kv head). A paged cache's
/// (`table`, its block tables) are where cachedRow says; a block number
/// outside the pool reads the pool's first row instead (checkBlocksKernel
/// reports it).
template <typename T> struct KeySource {
  const T *cache, *cachedKeys, *cachedValues, *newKeys, *newValues;
  const int32_t *table;
  const AttentionShape &shape;
  int64_t past, slots, dim, newStride, b, kvHead;

  __device__ KeySource(const T *k, const T *v, const T *cache,
                       const int32_t *table, int64_t past,
                       const AttentionShape &shape, int64_t b, int64_t kvHead)
      : cache(cache), table(table), shape(shape), past(past),
        slots(shape.slots), dim(shape.headDim),
        newStride(shape.kvHeads * shape.headDim), b(b), kvHead(kvHead) {
    cachedKeys = cache + cachedSlots(shape, 0, b, kvHead);
    cachedValues = cache + cachedSlots(shape, 1, b, kvHead);
    int64_t row = (b * shape.tokens * shape.kvHeads + kvHead) * shape.headDim;
    newKeys = k + row;
    newValues = v + row;
  }

  __device__ const T *cached(int64_t kv, int64_t position) const {
    if (!table)
      return (kv ? cachedValues : cachedKeys) + position % slots * dim;
    const int32_t block =
        table[b * shape.tableColumns + position / shape.blockTokens];
    if (block < 0 || block >= shape.poolBlocks)
      return cache;
    return cache + cachedRow(shape, table, kv, b, kvHead, position);
  }
  __device__ const T *key(int64_t position) const {
    return position < past ? cached(0, position)
                           : newKeys + (position - past) * newStride;
  }
  __device__ const T *value(int64_t position) const {
    return position < past ? cached(1, position)
                           : newValues + (position - past) * newStride;
  }
};

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_ATTENTIONKEYS_CUH
