//===- KvBlocks.h - sequences' block tables over one pool -----------------===//
//
// The paged KV cache's bookkeeping (docs/kv-cache.md): each sequence has a
// block table, token p of it in slot p mod B of block table[p / B].
// Blocks are allocated as tokens arrive and released when the sequence
// finishes; sequences of any lengths share the pool. A fork (parallel
// sampling) shares every block; the first to write into a shared,
// partly filled block copies it first (copy-on-write: the copy is the
// device's to make). A block that fills is published under the hash
// chain of its tokens and every token before them, seeded with the model,
// so a later prompt that starts with the same whole blocks takes them
// instead of computing them (prefix caching).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_KVCACHE_KVBLOCKS_H
#define LLMC_RUNTIME_KVCACHE_KVBLOCKS_H

#include "runtime/kvcache/BlockPool.h"

#include <map>
#include <memory>
#include <string>

namespace llmc::runtime {

/// `bytes` as "1.25 MiB" (the pool's sizes in its errors).
std::string mebibytes(uint64_t bytes);

/// Block `from`'s slots into block `to`, before anything is written there.
struct BlockCopy {
  int32_t from, to;
};

/// What the pool holds, in blocks and bytes.
struct KvMemory {
  int64_t blocks = 0, held = 0, idle = 0, free = 0;
  int64_t blockTokens = 0;
  uint64_t blockBytes = 0;
  /// Tokens in the held blocks (a shared block's counted once).
  int64_t tokens = 0;

  uint64_t reservedBytes() const { return uint64_t(blocks) * blockBytes; }
  uint64_t heldBytes() const { return uint64_t(held) * blockBytes; }
  /// The held blocks' slots that hold no token.
  int64_t emptySlots() const { return held * blockTokens - tokens; }
  /// emptySlots as a share of the held slots (0 when none is held).
  double waste() const {
    return held ? double(emptySlots()) / double(held * blockTokens) : 0.0;
  }
};

class KvBlocks {
public:
  /// A pool of as many blocks of `blockTokens` token slots, `blockBytes`
  /// each, as `budget` bytes hold, for sequences of up to `maxSeq` tokens
  /// of the model `model` (a hash of what it is: blocks of other models
  /// never match). An error when the budget holds fewer blocks than one
  /// sequence of maxSeq tokens needs.
  static Expected<std::unique_ptr<KvBlocks>>
  create(uint64_t budget, uint64_t blockBytes, int64_t blockTokens,
         int64_t maxSeq, uint64_t model);

  /// A new sequence starting with `prompt`: the published blocks of its
  /// longest prefix of whole blocks are shared, leaving at least its last
  /// token to compute; `cached` is how many tokens those blocks hold (the
  /// caller appends the rest).
  struct Started {
    int64_t id;
    int64_t cached;
  };
  Started start(const std::vector<int64_t> &prompt);
  /// The tokens start(prompt) would find cached now (counting no lookup).
  int64_t cachedPrefix(const std::vector<int64_t> &prompt) const;
  /// Slots for `ids` after sequence `id`'s tokens, in blocks allocated as
  /// needed. A shared, partly filled last block is first replaced by a
  /// copy (returned: the device must copy it before writing). Blocks that
  /// fill are published. An error, with nothing changed, when the pool
  /// cannot supply the blocks or the sequence would exceed maxSeq.
  Expected<std::vector<BlockCopy>> append(int64_t id,
                                          const std::vector<int64_t> &ids);
  /// The blocks append(id, `count` tokens) would take from the pool (a
  /// copy of a shared last block included).
  int64_t needs(int64_t id, int64_t count) const;
  /// Blocks the pool can hand out: free ones and cached ones nobody holds.
  int64_t available() const { return pool_.freeBlocks() + pool_.idle(); }
  /// Sequence `id` goes on with `tokens` of its tokens, which the caller
  /// writes afresh into the blocks of the table returned (eviction:
  /// KvCompaction.h). Blocks it shares are replaced by free ones (an
  /// error, with nothing changed, when the pool has too few), and so are
  /// its published ones while free blocks last (they stay cached for
  /// later prompts); the rest are reused, and those past `tokens`
  /// released. Its blocks are published no more: their tokens no longer
  /// sit at their positions.
  Expected<std::vector<int32_t>> rewrite(int64_t id, int64_t tokens);
  /// Sequence `id` keeps its first `tokens` tokens (speculative decoding:
  /// drafted tokens the target rejected); the blocks past them go back to
  /// the pool. Its last block, now partly filled, is published no more
  /// when it alone holds it (its free slots are about to be written);
  /// when shared, the next append copies it first. An error, with nothing
  /// changed, when `tokens` is negative or more than it holds.
  Status truncate(int64_t id, int64_t tokens);
  /// A new sequence holding `id`'s blocks and tokens.
  int64_t fork(int64_t id);
  /// Sequence `id` ends: its blocks are released (published ones stay
  /// cached until their blocks are needed).
  void finish(int64_t id);

  const std::vector<int32_t> &table(int64_t id) const;
  int64_t tokens(int64_t id) const;
  int64_t sequences() const { return int64_t(sequences_.size()); }
  int64_t blockTokens() const { return blockTokens_; }
  uint64_t blockBytes() const { return blockBytes_; }
  KvMemory memory() const;
  const BlockPool &pool() const { return pool_; }

private:
  KvBlocks(int32_t blocks, uint64_t blockBytes, int64_t blockTokens,
           int64_t maxSeq, uint64_t model);

  struct Sequence {
    std::vector<int32_t> table;
    int64_t tokens = 0;
    /// The hash chain of the whole blocks so far.
    uint64_t chain = 0;
    /// Its tokens' ids (until it is rewritten): what publishes its blocks
    /// as they fill, and what truncate() chains again.
    std::vector<int64_t> ids;
    /// Rewritten (evicted) once: its blocks are not published.
    bool rewritten = false;
  };
  Sequence &sequence(int64_t id);
  uint64_t chained(uint64_t chain, const int64_t *ids) const;

  BlockPool pool_;
  /// Slots written in each block.
  std::vector<int32_t> filled_;
  uint64_t blockBytes_;
  int64_t blockTokens_, maxSeq_;
  uint64_t model_;
  std::map<int64_t, Sequence> sequences_;
  int64_t next_ = 0;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_KVCACHE_KVBLOCKS_H
