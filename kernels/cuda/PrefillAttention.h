//===- PrefillAttention.h - tiled attention over the cache for prefill ----===//
//
// Prefill's attention, FlashAttention-2 style: a block takes a tile of
// kPrefillRows consecutive query tokens of one head, and walks the keys
// they see (causally: the tiles after the tile's last token are never
// read) in tiles of 32 keys staged in shared memory, so each key and value
// is read from memory once per query tile instead of once per query. Each
// query row keeps an online softmax (running maximum and sum) and an
// unnormalized output in registers, divided by the sum once at the end.
// Used by cachedAttention (Transformer.h) before the new keys are written
// into the cache (AttentionKeys.cuh says where each key is read from);
// arithmetic in f32 whatever the storage.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_PREFILLATTENTION_H
#define LLMC_KERNELS_CUDA_PREFILLATTENTION_H

#include "kernels/cuda/Transformer.h"

namespace llmc::kernels::cuda {

/// Query tokens per block.
inline constexpr int64_t kPrefillRows = 16;

/// Whether the tiled kernel takes `shape`: prefill-sized inputs (a whole
/// query tile or more) with heads of up to 128 features.
inline bool prefillAttentionTakes(const AttentionShape &shape) {
  return shape.tokens >= kPrefillRows && shape.headDim <= 128;
}

/// out[b, t, h] for every query of `q` over the keys and values in
/// `cache` (through the block tables `table` when paged, else null)
/// before *position and in k and v from there (see cachedAttention). Requires
/// prefillAttentionTakes.
cudaError_t prefillAttention(Storage type, const void *q, const void *k,
                             const void *v, const void *cache,
                             const int32_t *table, const int64_t *position,
                             void *out, const AttentionShape &shape,
                             cudaStream_t stream);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_PREFILLATTENTION_H
