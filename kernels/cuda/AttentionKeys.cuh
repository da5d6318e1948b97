//===- AttentionKeys.cuh - where a cached attention's keys live -----------===//
//
// The attention kernels (Transformer.cu, PrefillAttention.cu) attend before
// the call's keys and values are written into the cache: a position before
// the call's first is read from the cache (slot slotOffset + p % slots of
// the layer's plane, a ring when the layer has a window that fits its
// slots), a later one from the call's own k and v. So a prefill longer than a
// ring is exact. What a query sees (ringed, firstVisibleKey) and the
// soft-cap (math::softCap) are AttentionShape.h's and ElementwiseMath.h's,
// shared with the CPU kernels.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_ATTENTIONKEYS_CUH
#define LLMC_KERNELS_CUDA_ATTENTIONKEYS_CUH

#include "kernels/common/AttentionShape.h"

#include <cstdint>

namespace llmc::kernels::cuda {

/// The keys and values of one (sequence, kv head).
template <typename T> struct KeySource {
  const T *cachedKeys, *cachedValues, *newKeys, *newValues;
  int64_t past, slots, dim, newStride;

  __device__ KeySource(const T *k, const T *v, const T *cache, int64_t past,
                       const AttentionShape &shape, int64_t b, int64_t kvHead)
      : past(past), slots(shape.slots), dim(shape.headDim),
        newStride(shape.kvHeads * shape.headDim) {
    cachedKeys = cache + cachedSlots(shape, 0, b, kvHead);
    cachedValues = cache + cachedSlots(shape, 1, b, kvHead);
    int64_t row = (b * shape.tokens * shape.kvHeads + kvHead) * shape.headDim;
    newKeys = k + row;
    newValues = v + row;
  }

  __device__ const T *key(int64_t position) const {
    return position < past ? cachedKeys + position % slots * dim
                           : newKeys + (position - past) * newStride;
  }
  __device__ const T *value(int64_t position) const {
    return position < past ? cachedValues + position % slots * dim
                           : newValues + (position - past) * newStride;
  }
};

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_ATTENTIONKEYS_CUH
