//===- KvCompaction.h - a sequence's kept tokens, moved up ----------------===//
//
// Eviction (llmc compile --kv-window; docs/kv-cache.md) keeps some of a
// sequence's tokens and closes the gaps: kept token j, which sat at
// position keep[j], moves to position j. RoPE sees positions within the
// cache, as StreamingLLM does, so each moved key is rotated back by the
// keep[j] - j positions it moved (the keys' own RoPE tables, from the
// artifact); values move as they are. The work is done on host copies of
// the sequence's blocks, in any of the cache's element types: f16 and
// bf16 rows are widened and narrowed again, int8 and fp8 rows decoded and
// coded again under each new block's scale.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_KVCACHE_KVCOMPACTION_H
#define LLMC_RUNTIME_KVCACHE_KVCOMPACTION_H

#include "runtime/format/Artifact.h"

#include <cstdint>
#include <vector>

namespace llmc::runtime {

class KvCompaction {
public:
  /// For the blocks of `cache` (paged, with an eviction).
  explicit KvCompaction(const CacheInfo &cache);

  /// Bytes of one block.
  uint64_t blockBytes() const { return blockBytes_; }

  /// The positions each plane keeps: one list (ascending, the same
  /// length) for every (layer, kv head), or one for all.
  using Keeps = std::vector<std::vector<int64_t>>;

  /// `to` (n kept tokens' whole blocks) gets the tokens of `from` (a
  /// sequence's blocks in table order) at the positions `keeps` lists,
  /// moved up to 0 .. n - 1, keys rotated back.
  void compact(const uint8_t *from, uint8_t *to, const Keeps &keeps) const;

  /// The positions eviction keeps of a sequence of `tokens` that must take
  /// `count` more: all when they fit in the budget, else the sinks and
  /// the latest tokens after evicting the oldest others, a block's worth
  /// at a time. Empty when `count` tokens exceed what the window holds
  /// after evicting all but the sinks.
  std::vector<int64_t> kept(int64_t tokens, int64_t count) const;

  /// h2o: for each (layer, kv head), `n` of a sequence's `tokens`: the
  /// latest window / 2, and the others that received the most attention
  /// (`received`: [layers, kvHeads, capacity], the sums the attention
  /// kernel keeps; ties go to the earlier position).
  Keeps mostAttended(int64_t tokens, int64_t n, const float *received,
                     int64_t capacity) const;

  /// `received` follows the tokens `keeps` moves (compact); the positions
  /// after them start again from 0.
  void moveReceived(float *received, int64_t capacity,
                    const Keeps &keeps) const;

  /// The most tokens one call may add to a sequence (a window's whole
  /// blocks, or all of a smaller window).
  int64_t mostPerCall() const;

private:
  /// Row `slot` of plane (layer, kv, head) of block `block` of `blocks`.
  uint64_t planeOffset(int64_t block, int64_t layer, int64_t kv,
                       int64_t head) const;
  void readRow(const uint8_t *plane, int64_t slot, float *out) const;
  /// The list of plane `plane` (layer * kvHeads + kv head) of `keeps`.
  static const std::vector<int64_t> &keepOf(const Keeps &keeps, int64_t plane);

  CacheInfo cache_;
  int64_t blockRows_, elementBytes_;
  uint64_t blockBytes_;
  /// sin with its sign flipped: row d rotates back by d positions.
  std::vector<float> backSin_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_KVCACHE_KVCOMPACTION_H
