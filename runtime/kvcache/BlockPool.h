//===- BlockPool.h - the KV cache's blocks, shared and cached -------------===//
//
// A paged KV cache (docs/kv-cache.md) keeps keys and values in blocks of a
// fixed number of token slots. The pool hands out block numbers and counts
// who holds each: a block held by several sequences (a fork, a shared
// prefix) is freed when the last lets go. A full block can be published
// under the hash of the tokens it holds and all before them (a hash
// chain): a later sequence starting with the same tokens takes it instead
// of computing it again. Published blocks nobody holds stay cached, and
// are taken back least recently used first when no block is free.
//
// The pool knows numbers only: where a block's bytes are is the device's
// business (block b at b x block bytes of one allocation).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_KVCACHE_BLOCKPOOL_H
#define LLMC_RUNTIME_KVCACHE_BLOCKPOOL_H

#include "runtime/format/Status.h"

#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace llmc::runtime {

class BlockPool {
public:
  explicit BlockPool(int32_t blocks);

  /// A block nobody holds, now held once: a free one, else the least
  /// recently used cached one (which stops being cached); an error when
  /// every block is held.
  Expected<int32_t> allocate();
  /// One more holder of a held or cached block.
  void retain(int32_t block);
  /// One holder fewer; with none left a published block stays cached,
  /// any other is free again.
  void release(int32_t block);
  int32_t holders(int32_t block) const { return blocks_[block].holders; }
  /// Whether `block` is published (a later prompt may take it).
  bool isPublished(int32_t block) const { return blocks_[block].published; }

  /// The block published under `hash`, now held once more (a hit), or
  /// none. Every call counts as a lookup.
  std::optional<int32_t> take(uint64_t hash);
  /// Whether a block is published under `hash` (not a lookup).
  bool published(uint64_t hash) const { return published_.count(hash) > 0; }
  /// Publishes held block `block` under `hash` (its tokens' chain). When
  /// another block already has it, that one stays the cached copy and
  /// `block` is freed as usual once released.
  void publish(int32_t block, uint64_t hash);
  /// Held block `block` is published no more (its contents are about to
  /// change).
  void unpublish(int32_t block);

  int32_t size() const { return static_cast<int32_t>(blocks_.size()); }
  /// Blocks held by someone; cached ones nobody holds; free ones.
  int32_t held() const { return size() - idle() - freeBlocks(); }
  int32_t idle() const { return static_cast<int32_t>(idle_.size()); }
  int32_t freeBlocks() const { return static_cast<int32_t>(free_.size()); }
  int64_t lookups() const { return lookups_; }
  int64_t hits() const { return hits_; }
  /// Cached blocks taken back for new contents.
  int64_t evictions() const { return evictions_; }

private:
  struct Block {
    int32_t holders = 0;
    bool published = false;
    uint64_t hash = 0;
    /// When it was last released (the LRU order of idle blocks).
    uint64_t released = 0;
  };
  std::vector<Block> blocks_;
  /// Free blocks, the last one freed on top.
  std::vector<int32_t> free_;
  /// Published blocks nobody holds, by (released, block): oldest first.
  std::set<std::pair<uint64_t, int32_t>> idle_;
  std::unordered_map<uint64_t, int32_t> published_;
  uint64_t clock_ = 0;
  int64_t lookups_ = 0, hits_ = 0, evictions_ = 0;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_KVCACHE_BLOCKPOOL_H
