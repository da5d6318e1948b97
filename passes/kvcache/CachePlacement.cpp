//===- CachePlacement.cpp - where each layer lives in the KV cache -------===//

#include "passes/kvcache/CachePlacement.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace llvm;

namespace llmc::kvcache {

namespace {

/// Planes shared first-fit: each holds `capacity` (slots or kv heads) and
/// takes pieces while they fit.
struct SharedPlanes {
  int64_t capacity;
  SmallVector<int64_t> planes, used;

  /// The plane and the offset in it of a piece of `size`; a new plane
  /// (counted in `count`) when none has room.
  std::pair<int64_t, int64_t> place(int64_t size, int64_t &count) {
    size_t i = 0;
    while (i < planes.size() && used[i] + size > capacity)
      ++i;
    if (i == planes.size()) {
      planes.push_back(count++);
      used.push_back(0);
    }
    int64_t offset = used[i];
    used[i] += size;
    return {planes[i], offset};
  }
};

} // namespace

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
SmallVector<LayerSlots> placeLayers(ArrayRef<int64_t> windows,
                                    ArrayRef<int64_t> kvHeads,
                                    int64_t planeHeads, int64_t positions,
                                    int64_t &planeSlots, int64_t &planes) {
  bool allWindowed = llvm::all_of(windows, [](int64_t w) { return w > 0; });
  planeSlots = allWindowed ? std::min(*llvm::max_element(windows), positions)
                           : positions;
  SmallVector<LayerSlots> placed(windows.size());
  SharedPlanes rings{planeSlots, {}, {}}, heads{planeHeads, {}, {}};
  planes = 0;
  for (auto [layer, window] : llvm::enumerate(windows)) {
    LayerSlots &at = placed[layer];
    if (window > 0 && window < planeSlots) {
      auto [plane, offset] = rings.place(window, planes);
      at = {plane, offset, window, true, 0};
    } else if (kvHeads[layer] < planeHeads) {
      auto [plane, head] = heads.place(kvHeads[layer], planes);
      at = {plane, 0, planeSlots, false, head};
    } else {
      at = {planes++, 0, planeSlots, false, 0};
    }
  }
  return placed;
}

} // namespace llmc::kvcache
