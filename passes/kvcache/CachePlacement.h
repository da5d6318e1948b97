//===- CachePlacement.h - where each layer lives in the KV cache ---------===//
//
// The KV cache is one tensor of planes [planes, 2, batch, kv_heads, slots,
// head_dim]. llmc-kv-cache places each attention layer in it, and
// tensor-parallel sharding places them again when a rank keeps different
// numbers of KV heads in different layers (a head-pruned model).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_KVCACHE_CACHEPLACEMENT_H
#define LLMC_PASSES_KVCACHE_CACHEPLACEMENT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace llmc::kvcache {

/// A layer's place: its plane; a ring of `slots` from slot `offset` (a
/// windowed layer) or every slot; its kv heads from `head` on.
struct LayerSlots {
  int64_t plane = 0, offset = 0, slots = 0;
  bool ring = false;
  int64_t head = 0;
};

/// The cache's planes of `planeHeads` kv heads: a layer without a window
/// takes a plane of `positions` slots; when every layer has one, a plane
/// is the largest window (a ring, position p in slot p % window). Windows
/// shorter than a plane are rings of their own length, packed first-fit
/// into shared planes (Gemma 2's local layers beside its global ones).
/// Layers with fewer kv heads than a plane (head-pruned ones) that take
/// every slot share planes too, packed first-fit by heads, so the cache
/// shrinks with their heads; a ring of fewer heads leaves the rest of its
/// slots' heads unused. Returns each layer's place and sets the planes'
/// slots and count.
llvm::SmallVector<LayerSlots> placeLayers(llvm::ArrayRef<int64_t> windows,
                                          llvm::ArrayRef<int64_t> kvHeads,
                                          int64_t planeHeads, int64_t positions,
                                          int64_t &planeSlots, int64_t &planes);

} // namespace llmc::kvcache

#endif // LLMC_PASSES_KVCACHE_CACHEPLACEMENT_H
