//===- KvBlocks.cpp - sequences' block tables over one pool ---------------===//

#include "runtime/kvcache/KvBlocks.h"

#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <string>

namespace llmc::runtime {

std::string mebibytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", double(bytes) / (1 << 20));
  return text;
}

Expected<std::unique_ptr<KvBlocks>>
KvBlocks::create(uint64_t budget, uint64_t blockBytes, int64_t blockTokens,
                 int64_t maxSeq, uint64_t model) {
  if (blockTokens < 1 || blockBytes == 0 || maxSeq < 1)
    return Status::error("KV blocks of " + std::to_string(blockTokens) +
                         " tokens and " + std::to_string(blockBytes) +
                         " bytes for sequences of " + std::to_string(maxSeq) +
                         " tokens");
  const uint64_t blocks = budget / blockBytes;
  const int64_t one = (maxSeq + blockTokens - 1) / blockTokens;
  if (blocks < uint64_t(one))
    return Status::error(
        "a KV cache of " + mebibytes(budget) + " holds " +
        std::to_string(blocks) + " blocks of " + std::to_string(blockTokens) +
        " tokens (" + mebibytes(blockBytes) + " each), but one sequence of " +
        std::to_string(maxSeq) + " tokens (the artifact's max_seq) needs " +
        std::to_string(one) + " (" + mebibytes(uint64_t(one) * blockBytes) +
        ")");
  if (blocks > uint64_t(INT32_MAX))
    return Status::error("a KV cache of " + std::to_string(blocks) +
                         " blocks: more than block numbers count");
  return std::unique_ptr<KvBlocks>(
      new KvBlocks(int32_t(blocks), blockBytes, blockTokens, maxSeq, model));
}

KvBlocks::KvBlocks(int32_t blocks, uint64_t blockBytes, int64_t blockTokens,
                   int64_t maxSeq, uint64_t model)
    : pool_(blocks), filled_(size_t(blocks), 0), blockBytes_(blockBytes),
      blockTokens_(blockTokens), maxSeq_(maxSeq), model_(model) {}

uint64_t KvBlocks::chained(uint64_t chain, const int64_t *ids) const {
  return XXH3_64bits_withSeed(ids, size_t(blockTokens_) * sizeof(int64_t),
                              chain);
}

KvBlocks::Sequence &KvBlocks::sequence(int64_t id) {
  auto found = sequences_.find(id);
  assert(found != sequences_.end() && "no such sequence");
  return found->second;
}

int64_t KvBlocks::cachedPrefix(const std::vector<int64_t> &prompt) const {
  const int64_t whole =
      prompt.empty() ? 0 : (int64_t(prompt.size()) - 1) / blockTokens_;
  uint64_t chain = model_;
  int64_t b = 0;
  for (; b < whole; ++b) {
    chain = chained(chain, prompt.data() + b * blockTokens_);
    if (!pool_.published(chain))
      break;
  }
  return b * blockTokens_;
}

KvBlocks::Started KvBlocks::start(const std::vector<int64_t> &prompt) {
  Sequence s;
  s.chain = model_;
  // Whole blocks only, and never the prompt's last token: its logits are
  // what the prefill is for.
  const int64_t whole =
      prompt.empty() ? 0 : (int64_t(prompt.size()) - 1) / blockTokens_;
  for (int64_t b = 0; b < whole; ++b) {
    const uint64_t chain = chained(s.chain, prompt.data() + b * blockTokens_);
    std::optional<int32_t> block = pool_.take(chain);
    if (!block)
      break;
    s.table.push_back(*block);
    s.chain = chain;
    s.tokens += blockTokens_;
  }
  s.ids.assign(prompt.begin(), prompt.begin() + s.tokens);
  const int64_t id = next_++;
  const int64_t cached = s.tokens;
  sequences_[id] = std::move(s);
  return {id, cached};
}

int64_t KvBlocks::needs(int64_t id, int64_t count) const {
  const Sequence &s = sequences_.at(id);
  const int64_t total = s.tokens + count;
  const bool copy = s.tokens % blockTokens_ != 0 && count > 0 &&
                    pool_.holders(s.table.back()) > 1;
  return (total + blockTokens_ - 1) / blockTokens_ - int64_t(s.table.size()) +
         (copy ? 1 : 0);
}

Expected<std::vector<BlockCopy>>
KvBlocks::append(int64_t id, const std::vector<int64_t> &ids) {
  Sequence &s = sequence(id);
  const int64_t total = s.tokens + int64_t(ids.size());
  if (total > maxSeq_)
    return Status::error(std::to_string(total) + " tokens exceed the " +
                         std::to_string(maxSeq_) +
                         " a sequence may hold (the artifact's max_seq)");
  const int64_t partial = s.tokens % blockTokens_;
  const bool copy =
      partial != 0 && !ids.empty() && pool_.holders(s.table.back()) > 1;
  const int64_t fresh = needs(id, int64_t(ids.size()));
  std::vector<int32_t> taken;
  for (int64_t i = 0; i < fresh; ++i) {
    Expected<int32_t> block = pool_.allocate();
    if (!block) {
      for (int32_t b : taken)
        pool_.release(b);
      KvMemory use = memory();
      return Status::error(
          "the KV cache is full: " + std::to_string(total) +
          " tokens of a sequence need " + std::to_string(fresh) +
          " more blocks, and all " + std::to_string(use.blocks) + " (" +
          mebibytes(use.reservedBytes()) + ") are held by the " +
          std::to_string(sequences_.size()) + " running sequences (" +
          std::to_string(use.tokens) + " tokens)");
    }
    filled_[size_t(*block)] = 0;
    taken.push_back(*block);
  }
  std::vector<BlockCopy> copies;
  size_t next = 0;
  if (copy) {
    const int32_t from = s.table.back(), to = taken[next++];
    copies.push_back({from, to});
    filled_[size_t(to)] = int32_t(partial);
    pool_.release(from);
    s.table.back() = to;
  }
  for (; next < taken.size(); ++next)
    s.table.push_back(taken[next]);
  for (int64_t token : ids) {
    const int32_t block = s.table[size_t(s.tokens / blockTokens_)];
    const int32_t slot = int32_t(s.tokens % blockTokens_);
    filled_[size_t(block)] = std::max(filled_[size_t(block)], slot + 1);
    ++s.tokens;
    if (s.rewritten)
      continue;
    s.ids.push_back(token);
    if (s.tokens % blockTokens_ == 0) {
      s.chain = chained(s.chain, s.ids.data() + s.tokens - blockTokens_);
      pool_.publish(block, s.chain);
    }
  }
  return copies;
}

Expected<std::vector<int32_t>> KvBlocks::rewrite(int64_t id, int64_t tokens) {
  Sequence &s = sequence(id);
  if (tokens < 0 || tokens > s.tokens)
    return Status::error("a sequence of " + std::to_string(s.tokens) +
                         " tokens cannot go on with " + std::to_string(tokens));
  const size_t kept = size_t((tokens + blockTokens_ - 1) / blockTokens_);
  std::vector<int32_t> table(s.table.begin(), s.table.begin() + kept);
  std::vector<int32_t> fresh;
  // A published block the sequence alone holds stays cached for later
  // prompts while free blocks last; then it is rewritten in place.
  for (int32_t &block : table) {
    if (pool_.holders(block) == 1 &&
        (!pool_.isPublished(block) || pool_.freeBlocks() == 0))
      continue;
    Expected<int32_t> taken = pool_.allocate();
    if (!taken) {
      for (int32_t b : fresh)
        pool_.release(b);
      return Status::error("the KV cache is full: evicting needs a block of "
                           "its own for each of a sequence's " +
                           std::to_string(kept) + " blocks, and all " +
                           std::to_string(pool_.size()) + " are held");
    }
    fresh.push_back(*taken);
    block = *taken;
  }
  // The old blocks the new table does not keep go back.
  for (int32_t block : s.table)
    if (std::find(table.begin(), table.end(), block) == table.end())
      pool_.release(block);
  for (int32_t block : table)
    pool_.unpublish(block);
  for (size_t i = 0; i < table.size(); ++i)
    filled_[size_t(table[i])] = int32_t(
        std::min<int64_t>(blockTokens_, tokens - int64_t(i) * blockTokens_));
  s.table = std::move(table);
  s.tokens = tokens;
  s.ids.clear();
  s.rewritten = true;
  return s.table;
}

Status KvBlocks::truncate(int64_t id, int64_t tokens) {
  Sequence &s = sequence(id);
  if (tokens < 0 || tokens > s.tokens)
    return Status::error("a sequence of " + std::to_string(s.tokens) +
                         " tokens cannot keep " + std::to_string(tokens));
  const size_t kept = size_t((tokens + blockTokens_ - 1) / blockTokens_);
  for (size_t i = kept; i < s.table.size(); ++i)
    pool_.release(s.table[i]);
  s.table.resize(kept);
  if (const int64_t partial = tokens % blockTokens_;
      partial != 0 && pool_.holders(s.table.back()) == 1) {
    pool_.unpublish(s.table.back());
    filled_[size_t(s.table.back())] = int32_t(partial);
  }
  s.tokens = tokens;
  if (s.rewritten)
    return Status::success();
  s.ids.resize(size_t(tokens));
  s.chain = model_;
  for (int64_t b = 0; b < tokens / blockTokens_; ++b)
    s.chain = chained(s.chain, s.ids.data() + b * blockTokens_);
  return Status::success();
}

int64_t KvBlocks::fork(int64_t id) {
  Sequence copy = sequence(id);
  for (int32_t block : copy.table)
    pool_.retain(block);
  const int64_t forked = next_++;
  sequences_[forked] = std::move(copy);
  return forked;
}

void KvBlocks::finish(int64_t id) {
  Sequence &s = sequence(id);
  for (int32_t block : s.table)
    pool_.release(block);
  sequences_.erase(id);
}

const std::vector<int32_t> &KvBlocks::table(int64_t id) const {
  return sequences_.at(id).table;
}

int64_t KvBlocks::tokens(int64_t id) const { return sequences_.at(id).tokens; }

KvMemory KvBlocks::memory() const {
  KvMemory use;
  use.blocks = pool_.size();
  use.held = pool_.held();
  use.idle = pool_.idle();
  use.free = pool_.freeBlocks();
  use.blockTokens = blockTokens_;
  use.blockBytes = blockBytes_;
  for (int32_t b = 0; b < pool_.size(); ++b)
    if (pool_.holders(b) > 0)
      use.tokens += filled_[size_t(b)];
  return use;
}

} // namespace llmc::runtime
