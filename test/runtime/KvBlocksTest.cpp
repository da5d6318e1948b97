//===- KvBlocksTest.cpp - the paged KV cache's bookkeeping ----------------===//

#include "runtime/kvcache/KvBlocks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

using namespace llmc::runtime;

namespace {

/// A pool of `blocks` blocks of `tokens` slots, 64 bytes a slot.
std::unique_ptr<KvBlocks> pool(int64_t blocks, int64_t tokens, int64_t maxSeq) {
  const uint64_t blockBytes = uint64_t(tokens) * 64;
  Expected<std::unique_ptr<KvBlocks>> made = KvBlocks::create(
      uint64_t(blocks) * blockBytes, blockBytes, tokens, maxSeq, 42);
  EXPECT_TRUE(made.ok()) << made.status().message();
  return std::move(*made);
}

std::vector<int64_t> iota(int64_t n, int64_t first) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

/// Starts a sequence with `prompt` and appends what the cache lacks.
int64_t prefill(KvBlocks &kv, const std::vector<int64_t> &prompt) {
  KvBlocks::Started started = kv.start(prompt);
  Expected<std::vector<BlockCopy>> copies = kv.append(
      started.id,
      std::vector<int64_t>(prompt.begin() + started.cached, prompt.end()));
  EXPECT_TRUE(copies.ok()) << copies.status().message();
  return started.id;
}

} // namespace

TEST(KvBlocks, AllocatesBlocksAsTokensArrive) {
  auto kv = pool(8, 4, 32);
  int64_t s = prefill(*kv, iota(5, 1));
  EXPECT_EQ(kv->table(s).size(), 2u);
  EXPECT_EQ(kv->tokens(s), 5);
  KvMemory use = kv->memory();
  EXPECT_EQ(use.held, 2);
  EXPECT_EQ(use.tokens, 5);
  EXPECT_EQ(use.emptySlots(), 3);
  EXPECT_EQ(use.heldBytes(), 2u * 4 * 64);
  EXPECT_EQ(use.reservedBytes(), 8u * 4 * 64);
  // Three more fill the second block; the ninth token takes a third.
  ASSERT_TRUE(kv->append(s, {6, 7, 8}).ok());
  EXPECT_EQ(kv->table(s).size(), 2u);
  ASSERT_TRUE(kv->append(s, {9}).ok());
  EXPECT_EQ(kv->table(s).size(), 3u);
}

TEST(KvBlocks, FinishingFreesPartBlocksAndKeepsFullOnesCached) {
  auto kv = pool(8, 4, 32);
  int64_t s = prefill(*kv, iota(6, 1));
  kv->finish(s);
  KvMemory use = kv->memory();
  EXPECT_EQ(use.held, 0);
  EXPECT_EQ(use.idle, 1) << "the full block stays cached";
  EXPECT_EQ(use.free, 7);
  EXPECT_EQ(kv->sequences(), 0);
}

TEST(KvBlocks, AForkSharesBlocksAndCopiesAPartBlockBeforeWriting) {
  auto kv = pool(8, 4, 32);
  int64_t a = prefill(*kv, iota(6, 1));
  int64_t b = kv->fork(a);
  EXPECT_EQ(kv->table(b), kv->table(a));
  EXPECT_EQ(kv->memory().held, 2) << "shared, not copied";
  Expected<std::vector<BlockCopy>> copies = kv->append(b, {100});
  ASSERT_TRUE(copies.ok());
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_EQ((*copies)[0].from, kv->table(a)[1]);
  EXPECT_EQ((*copies)[0].to, kv->table(b)[1]);
  EXPECT_NE(kv->table(b)[1], kv->table(a)[1]);
  EXPECT_EQ(kv->table(b)[0], kv->table(a)[0]) << "the full block stays shared";
  // a is now the only holder of its part block: it writes in place.
  copies = kv->append(a, {7});
  ASSERT_TRUE(copies.ok());
  EXPECT_TRUE(copies->empty());
  EXPECT_EQ(kv->memory().tokens, 4 + 3 + 3);
}

TEST(KvBlocks, APromptStartingWithCachedBlocksTakesThem) {
  auto kv = pool(16, 4, 32);
  std::vector<int64_t> prompt = iota(10, 1);
  int64_t a = prefill(*kv, prompt);
  std::vector<int32_t> first(kv->table(a).begin(), kv->table(a).begin() + 2);
  kv->finish(a);
  // The same 8 tokens and another ending: two whole blocks reused.
  std::vector<int64_t> other(prompt.begin(), prompt.begin() + 8);
  other.push_back(77);
  KvBlocks::Started b = kv->start(other);
  EXPECT_EQ(b.cached, 8);
  EXPECT_EQ(kv->table(b.id), first);
  EXPECT_EQ(kv->pool().hits(), 2);
  // Exactly two whole blocks: the last token is computed again, so only
  // the first block is taken.
  KvBlocks::Started c =
      kv->start(std::vector<int64_t>(prompt.begin(), prompt.begin() + 8));
  EXPECT_EQ(c.cached, 4);
  Expected<std::vector<BlockCopy>> copies = kv->append(c.id, {5, 6, 7, 8});
  ASSERT_TRUE(copies.ok());
  EXPECT_TRUE(copies->empty());
  EXPECT_NE(kv->table(c.id)[1], first[1]) << "written into its own block";
}

TEST(KvBlocks, ABlockMatchesOnlyAfterTheSameEarlierTokens) {
  auto kv = pool(16, 4, 32);
  kv->finish(prefill(*kv, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const int64_t lookups = kv->pool().lookups();
  // The second block's tokens alike, the first's not: the chain differs.
  KvBlocks::Started s = kv->start({9, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(s.cached, 0);
  EXPECT_EQ(kv->pool().hits(), 0);
  EXPECT_EQ(kv->pool().lookups(), lookups + 1)
      << "the chain stops at the first miss";
}

TEST(KvBlocks, NoFreeBlockTakesTheLeastRecentlyUsedCachedOne) {
  auto kv = pool(3, 2, 6);
  kv->finish(prefill(*kv, {1, 2, 3})); // publishes [1 2]
  kv->finish(prefill(*kv, {5, 6, 7})); // publishes [5 6]
  EXPECT_EQ(kv->memory().idle, 2);
  // Two blocks: the free one, then [1 2], released first.
  int64_t s = prefill(*kv, {9, 9, 9});
  EXPECT_EQ(kv->pool().evictions(), 1);
  kv->finish(s);
  EXPECT_EQ(kv->start({1, 2, 3}).cached, 0);
  EXPECT_EQ(kv->start({5, 6, 7}).cached, 2);
}

TEST(KvBlocks, AFullPoolIsAnErrorThatChangesNothing) {
  auto kv = pool(2, 2, 4);
  int64_t a = prefill(*kv, {1, 2, 3});
  KvBlocks::Started b = kv->start({4});
  Expected<std::vector<BlockCopy>> copies = kv->append(b.id, {4});
  ASSERT_FALSE(copies.ok());
  EXPECT_EQ(copies.status().message(),
            "the KV cache is full: 1 tokens of a sequence need 1 more "
            "blocks, and all 2 (0.00 MiB) are held by the 2 running "
            "sequences (3 tokens)");
  EXPECT_EQ(kv->tokens(b.id), 0);
  EXPECT_EQ(kv->table(a).size(), 2u);
  // a's second block has room for one more token, which needs no block.
  ASSERT_TRUE(kv->append(a, {4}).ok());
  // And past max_seq is refused.
  Expected<std::vector<BlockCopy>> beyond = kv->append(a, {5});
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().message(),
            "5 tokens exceed the 4 a sequence may hold (the artifact's "
            "max_seq)");
}

TEST(KvBlocks, ABudgetBelowOneSequenceIsAnError) {
  Expected<std::unique_ptr<KvBlocks>> made =
      KvBlocks::create(3u << 20, 1u << 20, 16, 64, 0);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(),
            "a KV cache of 3.00 MiB holds 3 blocks of 16 tokens (1.00 MiB "
            "each), but one sequence of 64 tokens (the artifact's max_seq) "
            "needs 4 (4.00 MiB)");
}

TEST(KvBlocks, AMixedBatchWastesUnderFourPercentInBlocksOfSixteen) {
  // Lengths drawn from 16..1024: only each sequence's last block is part
  // empty (on average 7.5 of 16 slots against ~520 tokens).
  std::mt19937 random(7);
  std::uniform_int_distribution<int64_t> length(16, 1024);
  auto kv = pool(64 * 64, 16, 1024);
  int64_t tokens = 0;
  for (int i = 0; i < 64; ++i) {
    int64_t n = length(random);
    tokens += n;
    prefill(*kv, iota(n, 1000 * i));
  }
  KvMemory use = kv->memory();
  EXPECT_EQ(use.tokens, tokens);
  EXPECT_LT(use.waste(), 0.04);
  EXPECT_GT(use.waste(), 0.0);
}

TEST(KvBlocks, SaysWhatAnAppendNeedsAndWhatACallWouldFindCached) {
  auto kv = pool(8, 4, 32);
  int64_t a = prefill(*kv, iota(6, 1)); // [1 2 3 4] published, [5 6 .. ..]
  EXPECT_EQ(kv->needs(a, 2), 0) << "two slots left in the second block";
  EXPECT_EQ(kv->needs(a, 3), 1);
  EXPECT_EQ(kv->needs(a, 11), 3);
  // A fork shares the partly filled block: its first write copies it.
  int64_t b = kv->fork(a);
  EXPECT_EQ(kv->needs(b, 1), 1);
  EXPECT_EQ(kv->available(), 6);
  // Peeking counts no lookup; the prompt's last token is never cached.
  const int64_t lookups = kv->pool().lookups();
  EXPECT_EQ(kv->cachedPrefix(iota(9, 1)), 4);
  EXPECT_EQ(kv->cachedPrefix(iota(4, 1)), 0);
  EXPECT_EQ(kv->cachedPrefix(iota(9, 2)), 0);
  EXPECT_EQ(kv->pool().lookups(), lookups);
  EXPECT_EQ(kv->start(iota(9, 1)).cached, 4);
}

TEST(KvBlocks, RewritingKeepsOwnBlocksAndReplacesSharedOnes) {
  std::unique_ptr<KvBlocks> kv = pool(12, 4, 32);
  const int64_t a = prefill(*kv, iota(10, 100));
  const int64_t b = kv->fork(a);
  const std::vector<int32_t> before = kv->table(a);
  // Shared with the fork: every kept block is replaced, and the fork's
  // stay as they were.
  Expected<std::vector<int32_t>> shared = kv->rewrite(a, 6);
  ASSERT_TRUE(shared.ok()) << shared.status().message();
  ASSERT_EQ(shared->size(), 2u);
  for (int32_t block : *shared)
    EXPECT_EQ(std::find(before.begin(), before.end(), block), before.end());
  EXPECT_EQ(kv->tokens(a), 6);
  EXPECT_EQ(kv->table(b), before);
  // Its own now: rewritten in place, and a block past the tokens kept
  // goes back to the pool.
  const int64_t held = kv->memory().held;
  Expected<std::vector<int32_t>> own = kv->rewrite(a, 3);
  ASSERT_TRUE(own.ok()) << own.status().message();
  EXPECT_EQ(*own, std::vector<int32_t>{(*shared)[0]});
  EXPECT_EQ(kv->memory().held, held - 1);
  // Full blocks it writes from now on are not published: their tokens no
  // longer sit at their positions.
  ASSERT_TRUE(kv->append(a, iota(9, 500)).ok());
  EXPECT_EQ(kv->cachedPrefix(iota(13, 100)), 8); // a's first blocks, via b
  kv->finish(b);
  EXPECT_EQ(kv->tokens(a), 12);
  EXPECT_EQ(kv->cachedPrefix({100, 101, 102, 500, 501, 502, 503, 504}), 0);
  // More tokens than the sequence holds.
  EXPECT_FALSE(kv->rewrite(a, 13).ok());
}

TEST(KvBlocks, RewritingWithNoFreeBlockForASharedOneChangesNothing) {
  std::unique_ptr<KvBlocks> kv = pool(3, 4, 12);
  const int64_t a = prefill(*kv, iota(12, 0));
  kv->fork(a);
  const std::vector<int32_t> before = kv->table(a);
  Expected<std::vector<int32_t>> result = kv->rewrite(a, 8);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("the KV cache is full"),
            std::string::npos);
  EXPECT_EQ(kv->table(a), before);
  EXPECT_EQ(kv->tokens(a), 12);
}

TEST(KvBlocks, TruncatingReleasesBlocksAndKeepsTheChainOfKeptTokens) {
  auto kv = pool(16, 4, 32);
  // 5 accepted tokens, then 6 drafted ones that fill a block (published
  // under the drafted tokens) and start another.
  int64_t s = prefill(*kv, iota(5, 1));
  ASSERT_TRUE(kv->append(s, {60, 70, 80, 90, 100, 110}).ok());
  ASSERT_EQ(kv->table(s).size(), 3u);
  const int32_t second = kv->table(s)[1];
  EXPECT_TRUE(kv->pool().isPublished(second));
  // The target kept one drafted token: 6 tokens stay.
  ASSERT_TRUE(kv->truncate(s, 6).ok());
  EXPECT_EQ(kv->tokens(s), 6);
  ASSERT_EQ(kv->table(s).size(), 2u);
  EXPECT_EQ(kv->table(s)[1], second) << "its own block is written in place";
  EXPECT_FALSE(kv->pool().isPublished(second))
      << "its slots past the kept tokens are about to change";
  EXPECT_EQ(kv->memory().held, 2);
  EXPECT_EQ(kv->memory().tokens, 6);
  // Going on publishes the block under the tokens it holds now: a prompt
  // of them takes it, one of the rejected drafts does not.
  ASSERT_TRUE(kv->append(s, {7, 8, 9}).ok());
  EXPECT_TRUE(kv->pool().isPublished(second));
  kv->finish(s);
  std::vector<int64_t> kept = iota(5, 1);
  kept.insert(kept.end(), {60, 7, 8, 9});
  EXPECT_EQ(kv->cachedPrefix(kept), 8);
  std::vector<int64_t> rejected = iota(5, 1);
  rejected.insert(rejected.end(), {60, 70, 80, 90});
  EXPECT_EQ(kv->cachedPrefix(rejected), 4);
}

TEST(KvBlocks, TruncatingIntoASharedBlockCopiesItAtTheNextAppend) {
  auto kv = pool(16, 4, 32);
  int64_t a = prefill(*kv, iota(8, 1));
  int64_t b = kv->fork(a);
  ASSERT_TRUE(kv->truncate(b, 6).ok());
  EXPECT_TRUE(kv->pool().isPublished(kv->table(a)[1]))
      << "a still holds the whole block";
  EXPECT_EQ(kv->needs(b, 1), 1) << "a copy of the shared block";
  Expected<std::vector<BlockCopy>> copies = kv->append(b, {50});
  ASSERT_TRUE(copies.ok());
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_EQ((*copies)[0].from, kv->table(a)[1]);
  EXPECT_NE(kv->table(b)[1], kv->table(a)[1]);
  EXPECT_EQ(kv->tokens(a), 8);
}

TEST(KvBlocks, TruncatingPastTheTokensHeldIsAnErrorThatChangesNothing) {
  auto kv = pool(8, 4, 32);
  int64_t s = prefill(*kv, iota(5, 1));
  EXPECT_FALSE(kv->truncate(s, 6).ok());
  EXPECT_FALSE(kv->truncate(s, -1).ok());
  EXPECT_EQ(kv->tokens(s), 5);
  ASSERT_TRUE(kv->truncate(s, 0).ok());
  EXPECT_TRUE(kv->table(s).empty());
  EXPECT_EQ(kv->memory().held, 0);
}
