//===- CachedAttentionTest.cpp - the CPU cached_attention kernel ----------===//
//
// The runtime's cached_attention as the executor calls it, step after step
// (a prefill, decode steps, a chunk), against its definition in
// test/kernels/ReferenceAttention.h: plain, sliding-window over a cache of
// max_seq slots, sliding-window over a ring of `window` slots that the
// prefill alone overruns, and soft-capped; the cache contents must be the
// reference's exactly.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/CpuKernels.h"
#include "runtime/exec/TransformerShapes.h"
#include "runtime/format/Float16.h"
#include "runtime/format/QuantLayout.h"
#include "runtime/support/ThreadPool.h"
#include "test/kernels/RandomData.h"
#include "test/kernels/ReferenceAttention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace llmc::runtime;
using llmc::runtime::AttentionShape;
using llmc::test::randomVector;

namespace {

struct Case {
  int64_t capacity, window;
  float softcap;
  int64_t qHeads, kvHeads, headDim;
  /// The layer's ring inside its plane (0 slots: the whole plane).
  int64_t slotOffset = 0, slots = 0;
  /// The plane's kv heads (0: kvHeads) and the layer's first of them.
  int64_t cacheHeads = 0, headOffset = 0;
};

/// Layer 1 of 2 of the case's cache, `batch` sequences of `tokens`.
AttentionShape shapeOf(const Case &at, int64_t batch, int64_t tokens) {
  AttentionShape s{batch, tokens,      at.qHeads, at.kvHeads, at.headDim,
                   2,     at.capacity, 1,         0.0f};
  s.scale = 1.0f / std::sqrt(float(at.headDim));
  s.window = at.window;
  s.softcap = at.softcap;
  s.slotOffset = at.slotOffset;
  s.slots = at.slots > 0 ? at.slots : at.capacity;
  s.cacheHeads = at.cacheHeads > 0 ? at.cacheHeads : at.kvHeads;
  s.headOffset = at.headOffset;
  return s;
}

/// A small call: head_dim 8, one layer of 8 slots holding its kv heads.
AttentionShape small(int64_t batch, int64_t tokens, int64_t qHeads,
                     int64_t kvHeads) {
  AttentionShape s{batch, tokens, qHeads, kvHeads, 8, 1, 8, 0, 0.5f};
  s.slots = 8;
  s.cacheHeads = kvHeads;
  return s;
}

/// Random q, k and v for a call of `s`, from seeds `seed` .. `seed` + 2.
struct Inputs {
  std::vector<float> q, k, v;
};
Inputs randomInputs(const AttentionShape &s, unsigned seed) {
  Inputs x;
  x.q = randomVector(s.batch * s.tokens * s.qHeads * s.headDim, seed);
  x.k = randomVector(s.batch * s.tokens * s.kvHeads * s.headDim, seed + 1);
  x.v = randomVector(x.k.size(), seed + 2);
  return x;
}

/// A paged cache: a pool of `blocks` blocks of `tokens` slots, and each
/// sequence's row of `columns` block numbers; holding `held` (int8 and
/// fp8 planes have a row more, their scale), in a float vector's bytes.
struct Paged {
  int64_t blocks, tokens, columns;
  std::vector<int32_t> table;
  DType held = DType::f32;

  bool coded() const { return held == DType::i8 || held == DType::f8e4m3; }
  int64_t rows() const { return tokens + (coded() ? 1 : 0); }
};

/// One call of the kernel, its tokens at `positions` (one for every
/// sequence, or one each), over `cache` (with `paged`, a pool of blocks);
/// returns its output.
Expected<std::vector<float>>
step(const AttentionShape &s, std::vector<float> &q, std::vector<float> &k,
     std::vector<float> &v, std::vector<float> &cache,
     std::vector<int64_t> positions, ThreadPool &pool, Paged *paged = nullptr) {
  Params params(*llmc::format::findKernel("cached_attention"));
  params.addInts("layer", {s.layer});
  params.addInts("causal", {1});
  params.addFloats("scale", {s.scale});
  if (s.window > 0)
    params.addInts("window", {s.window});
  if (s.softcap > 0)
    params.addFloats("softcap", {s.softcap});
  if (s.slots != s.capacity) {
    params.addInts("slot_offset", {s.slotOffset});
    params.addInts("slots", {s.slots});
  }
  if (s.cacheHeads != s.kvHeads)
    params.addInts("head_offset", {s.headOffset});
  auto bytes = [](std::vector<float> &x) {
    return reinterpret_cast<uint8_t *>(x.data());
  };
  Shape cacheShape =
      paged ? Shape{paged->blocks, s.layers,      2,
                    s.cacheHeads,  paged->rows(), s.headDim}
            : Shape{s.layers, 2, s.batch, s.cacheHeads, s.capacity, s.headDim};
  const DType held = paged ? paged->held : DType::f32;
  std::vector<int32_t> noTable;
  std::vector<int32_t> &table = paged ? paged->table : noTable;
  Tensor tblocks{DType::i32,
                 {s.batch, paged ? paged->columns : 0},
                 reinterpret_cast<uint8_t *>(table.data())};
  Tensor tq{DType::f32, {s.batch, s.tokens, s.qHeads, s.headDim}, bytes(q)},
      tk{DType::f32, {s.batch, s.tokens, s.kvHeads, s.headDim}, bytes(k)},
      tv{DType::f32, tk.shape, bytes(v)},
      tcache{held, cacheShape, bytes(cache)},
      tposition{DType::i64,
                positions.size() == 1 ? Shape{}
                                      : Shape{int64_t(positions.size())},
                reinterpret_cast<uint8_t *>(positions.data())};
  std::vector<float> out(q.size());
  Tensor tout{DType::f32, {}, bytes(out)}, tcacheOut{held, {}, tcache.data};
  std::vector<const Tensor *> inputs{&tq, &tk, &tv, &tcache, &tposition};
  if (paged)
    inputs.push_back(&tblocks);
  KernelContext c{params,
                  inputs,
                  {&tout, &tcacheOut},
                  {tq.shape, cacheShape},
                  {uint64_t(tq.bytes()), uint64_t(tcache.bytes())},
                  pool};
  // Each thread's scratch, as the contract's per-worker rule plans it.
  const llmc::format::KernelDecl &decl =
      *llmc::format::findKernel("cached_attention");
  llmc::format::CallShapes call{
      {tq.shape, tk.shape, tv.shape, cacheShape, {}, tblocks.shape},
      {},
      {},
      {4, 4, 4, llmc::runtime::dtypeBytes(held), 8, 4}};
  if (!paged)
    call.operands.pop_back();
  c.workerScratchBytes = uint64_t(decl.workerScratchBytes(call));
  std::vector<uint8_t> perThread(c.workerScratchBytes * pool.size() + 64);
  c.workerScratch = reinterpret_cast<uint8_t *>(
      (reinterpret_cast<uintptr_t>(perThread.data()) + 63) / 64 * 64);
  if (Status status = cpu::cachedAttention(c); !status)
    return status;
  return out;
}

TEST(CachedAttention, WindowsRingsAndSoftCapsMatchTheDefinition) {
  ThreadPool pool(2);
  // head_dim 16: the AVX-512 path where the CPU has it; 12: portable.
  // A ring of 6 slots from slot 9 of a 20-slot plane: a windowed layer
  // sharing its plane with others.
  for (Case at :
       {Case{40, 0, 0.0f, 8, 2, 16}, Case{40, 6, 0.0f, 8, 2, 16},
        Case{6, 6, 0.0f, 8, 2, 16}, Case{8, 5, 0.0f, 4, 4, 12},
        Case{40, 0, 3.0f, 8, 2, 16}, Case{6, 6, 3.0f, 6, 1, 12},
        Case{20, 6, 0.0f, 8, 2, 16, 9, 6}, Case{20, 5, 3.0f, 6, 1, 12, 14, 6},
        // A head-pruned layer: 1 or 2 kv heads from head 2 or 1
        // of a 3-head plane it shares (with a ring too).
        Case{40, 0, 0.0f, 4, 1, 16, 0, 0, 3, 2},
        Case{40, 0, 0.0f, 4, 2, 12, 0, 0, 3, 1},
        Case{20, 6, 0.0f, 6, 2, 16, 9, 6, 3, 1}}) {
    AttentionShape s = shapeOf(at, /*batch=*/2, /*tokens=*/0);
    std::vector<float> cache(
        s.layers * 2 * s.batch * s.cacheHeads * s.capacity * s.headDim, 0.0f),
        expectedCache = cache;
    int64_t past = 0;
    unsigned seed = 40;
    // A 20-token prefill (more than a ring of 6 or 8), decode steps, then
    // a chunk of 3.
    for (int64_t tokens : {20, 1, 1, 1, 3, 1}) {
      if (at.window == 0 && past + tokens > s.slots)
        break;
      s.tokens = tokens;
      std::vector<float> q = randomVector(
                             s.batch * tokens * s.qHeads * s.headDim, ++seed),
                         k = randomVector(
                             s.batch * tokens * s.kvHeads * s.headDim, ++seed),
                         v = randomVector(k.size(), ++seed);
      std::vector<float> want =
          llmc::test::referenceCachedAttention(s, q, k, v, expectedCache, past);
      Expected<std::vector<float>> got = step(s, q, k, v, cache, {past}, pool);
      ASSERT_TRUE(got) << got.status().message();
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR((*got)[i], want[i], 2e-5)
            << "capacity " << at.capacity << ", window " << at.window
            << ", softcap " << at.softcap << ", at position " << past
            << ", element " << i;
      ASSERT_EQ(cache, expectedCache)
          << "capacity " << at.capacity << ", window " << at.window;
      past += tokens;
    }
  }
}

TEST(CachedAttention, EachSequenceFromItsOwnPosition) {
  // @verify's call: sequence b's tokens at positions[b]. Each sequence's
  // output and cache are the definition's at its own position (a call at
  // one position computes every sequence alone), over a cache filled with
  // random past keys and values; with a window and a ring too.
  ThreadPool pool(2);
  for (Case at : {Case{40, 0, 0.0f, 8, 2, 16}, Case{12, 6, 0.0f, 6, 2, 12},
                  Case{40, 0, 0.0f, 4, 1, 16, 0, 0, 3, 2}}) {
    AttentionShape s = shapeOf(at, /*batch=*/3, /*tokens=*/4);
    const std::vector<float> before = randomVector(
        s.layers * 2 * s.batch * s.cacheHeads * s.capacity * s.headDim, 7);
    std::vector<float> q = randomVector(
                           s.batch * s.tokens * s.qHeads * s.headDim, 8),
                       k = randomVector(
                           s.batch * s.tokens * s.kvHeads * s.headDim, 9),
                       v = randomVector(k.size(), 10);
    // Sequences at 3, 0 and 9 (past a ring of 6 slots).
    const std::vector<int64_t> positions = {3, 0, 9};
    std::vector<float> cache = before;
    Expected<std::vector<float>> got = step(s, q, k, v, cache, positions, pool);
    ASSERT_TRUE(got) << got.status().message();
    const int64_t perSequence = s.cacheHeads * s.capacity * s.headDim;
    const int64_t rows = s.tokens * s.qHeads * s.headDim;
    for (int64_t b = 0; b < s.batch; ++b) {
      std::vector<float> expectedCache = before;
      std::vector<float> want = llmc::test::referenceCachedAttention(
          s, q, k, v, expectedCache, positions[b]);
      for (int64_t i = b * rows; i < (b + 1) * rows; ++i)
        ASSERT_NEAR((*got)[i], want[i], 2e-5)
            << "sequence " << b << " at " << positions[b] << ", element " << i;
      for (size_t i = 0; i < cache.size(); ++i)
        if (int64_t(i) / perSequence % s.batch == b)
          ASSERT_EQ(cache[i], expectedCache[i])
              << "sequence " << b << "'s cache, element " << i;
    }
  }
}

TEST(CachedAttention, PositionsMustBeOneOrOnePerSequence) {
  ThreadPool pool(1);
  AttentionShape s = small(2, 1, 2, 1);
  auto [q, k, v] = randomInputs(s, 1);
  std::vector<float> cache(2 * 2 * 8 * 8, 0.0f);
  Expected<std::vector<float>> got = step(s, q, k, v, cache, {1, 2, 3}, pool);
  ASSERT_FALSE(got);
  EXPECT_NE(got.status().message().find("the position must be one i64 or one "
                                        "per sequence ([2]), not [3]"),
            std::string::npos)
      << got.status().message();
  // One sequence's position beyond the cache is refused.
  got = step(s, q, k, v, cache, {1, 8}, pool);
  ASSERT_FALSE(got);
  EXPECT_NE(got.status().message().find("positions 8..8 do not fit"),
            std::string::npos)
      << got.status().message();
}

TEST(CachedAttention, PositionsBeyondACacheWithoutARingAreRefused) {
  ThreadPool pool(1);
  // A window larger than the slots cannot be a ring.
  for (int64_t window : {0, 9}) {
    AttentionShape s = small(1, 2, 2, 1);
    s.window = window;
    auto [q, k, v] = randomInputs(s, 1);
    std::vector<float> cache(2 * 8 * 8, 0.0f);
    Expected<std::vector<float>> got = step(s, q, k, v, cache, {7}, pool);
    ASSERT_FALSE(got);
    EXPECT_NE(
        got.status().message().find("positions 7..8 do not fit the cache's 8"),
        std::string::npos)
        << got.status().message();
  }
}

TEST(CachedAttention, KvHeadsBeyondThePlaneAreRefused) {
  ThreadPool pool(1);
  // 2 kv heads from head 2 of a 3-head plane.
  AttentionShape s = small(1, 1, 2, 2);
  s.cacheHeads = 3;
  s.headOffset = 2;
  auto [q, k, v] = randomInputs(s, 1);
  std::vector<float> cache(2 * 3 * 8 * 8, 0.0f);
  Expected<std::vector<float>> got = step(s, q, k, v, cache, {0}, pool);
  ASSERT_FALSE(got);
  EXPECT_NE(got.status().message().find(
                "the layer's kv heads 2..3 are not in the cache's 3"),
            std::string::npos)
      << got.status().message();
}

TEST(CachedAttention, APagedCacheComputesWhatAContiguousOneDoes) {
  // The same calls (a prefill, decode steps, a chunk; one position for
  // both sequences, then one each) over a contiguous cache and over a
  // pool of blocks of 4 tokens whose tables list them out of order and
  // interleaved between the sequences: the same outputs bit for bit (the
  // same rows in the same order), and every position's keys and values in
  // its block's slot.
  ThreadPool pool(2);
  for (Case at : {Case{24, 0, 0.0f, 8, 2, 16}, Case{24, 6, 3.0f, 6, 1, 12},
                  Case{24, 0, 0.0f, 4, 1, 16, 0, 0, 3, 2}}) {
    AttentionShape s = shapeOf(at, /*batch=*/2, /*tokens=*/0);
    std::vector<float> cache(
        s.layers * 2 * s.batch * s.cacheHeads * s.capacity * s.headDim, 0.0f);
    Paged paged{16, 4, 6, {}};
    // Sequence 0: blocks 15, 1, 13, 3, ...; sequence 1: 0, 14, 2, 12, ...
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t i = 0; i < paged.columns; ++i)
        paged.table.push_back(int32_t((i + b) % 2 ? i : 15 - i));
    std::vector<float> blocks(paged.blocks * s.layers * 2 * s.cacheHeads *
                                  paged.tokens * s.headDim,
                              0.0f);
    std::vector<int64_t> past = {0, 0};
    unsigned seed = 70;
    for (int64_t tokens : {9, 1, 1, 3, 1, 2}) {
      s.tokens = tokens;
      auto [q, k, v] = randomInputs(s, seed += 3);
      // One position while the sequences are alike, then one each.
      std::vector<int64_t> positions =
          past[0] == past[1] ? std::vector<int64_t>{past[0]} : past;
      Expected<std::vector<float>> want =
          step(s, q, k, v, cache, positions, pool);
      Expected<std::vector<float>> got =
          step(s, q, k, v, blocks, positions, pool, &paged);
      ASSERT_TRUE(want && got) << (want ? got : want).status().message();
      ASSERT_EQ(*got, *want) << "at positions " << past[0] << ", " << past[1];
      for (int64_t b = 0; b < 2; ++b)
        past[b] += tokens;
      if (tokens == 1 && past[0] == 11) {
        // Sequence 0 decodes one more token alone (sequence 1 repeats its
        // last position, which writes the same slot again).
        auto [q1, k1, v1] = randomInputs(s, seed += 3);
        std::vector<int64_t> each = {past[0], past[1] - 1};
        want = step(s, q1, k1, v1, cache, each, pool);
        got = step(s, q1, k1, v1, blocks, each, pool, &paged);
        ASSERT_TRUE(want && got) << (want ? got : want).status().message();
        ASSERT_EQ(*got, *want);
        past[0] += 1;
      }
    }
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t kv = 0; kv < 2; ++kv)
        for (int64_t h = 0; h < s.kvHeads; ++h)
          for (int64_t p = 0; p < past[b]; ++p) {
            const float *row = cache.data() + llmc::kernels::cachedRow(
                                                  s, nullptr, kv, b, h, p);
            // The pool's documented layout, spelled out: [blocks, layers,
            // 2, kv heads, block tokens, head_dim].
            const int64_t block =
                paged.table[size_t(b * paged.columns + p / paged.tokens)];
            const float *slot =
                blocks.data() +
                ((((block * s.layers + s.layer) * 2 + kv) * s.cacheHeads +
                  s.headOffset + h) *
                     paged.tokens +
                 p % paged.tokens) *
                    s.headDim;
            ASSERT_EQ(std::vector<float>(slot, slot + s.headDim),
                      std::vector<float>(row, row + s.headDim))
                << "sequence " << b << ", position " << p;
          }
  }
}

TEST(CachedAttention, NarrowerPagedCachesStayCloseToF32) {
  // The paged calls above over a pool held as f16, bf16, int8 or fp8
  // against the same over an f32 pool: outputs within each type's
  // rounding, and every row read back from its block as KvQuant.h lays it
  // out (int8 and fp8: B rows of codes, then the plane's f32 scale).
  ThreadPool pool(2);
  // Outputs within `output`; a row's values within `relative` of their
  // magnitude plus `steps` of its plane's scale (int8: half a step per
  // coding, and a block of 4 rows is coded up to 4 times; fp8: E4M3's
  // rounding, and half its smallest step).
  struct Held {
    DType dtype;
    float output, relative, steps;
  };
  for (Held held : {Held{DType::f16, 2e-3f, 1.0f / 2048, 0.0f},
                    Held{DType::bf16, 3e-2f, 1.0f / 256, 0.0f},
                    Held{DType::i8, 5e-2f, 0.0f, 2.0f},
                    Held{DType::f8e4m3, 0.2f, 1.0f / 16, 1.0f / 1024}}) {
    AttentionShape s = shapeOf(Case{24, 0, 0.0f, 8, 2, 16}, 2, 0);
    Paged exact{16, 4, 6, {}};
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t i = 0; i < exact.columns; ++i)
        exact.table.push_back(int32_t((i + b) % 2 ? i : 15 - i));
    Paged narrow = exact;
    narrow.held = held.dtype;
    const int64_t planes = exact.blocks * s.layers * 2 * s.cacheHeads;
    std::vector<float> blocks(planes * exact.tokens * s.headDim, 0.0f),
        // Room for the narrower pool's bytes.
        narrowBlocks(blocks.size() + planes * s.headDim, 0.0f);
    std::vector<int64_t> past = {0, 0};
    unsigned seed = 90;
    for (int64_t tokens : {9, 1, 1, 3, 1, 2}) {
      s.tokens = tokens;
      auto [q, k, v] = randomInputs(s, seed += 3);
      Expected<std::vector<float>> want =
          step(s, q, k, v, blocks, {past[0]}, pool, &exact);
      Expected<std::vector<float>> got =
          step(s, q, k, v, narrowBlocks, {past[0]}, pool, &narrow);
      ASSERT_TRUE(want && got) << (want ? got : want).status().message();
      float worst = 0.0f;
      for (size_t i = 0; i < want->size(); ++i)
        worst = std::max(worst, std::fabs((*got)[i] - (*want)[i]));
      EXPECT_LT(worst, held.output)
          << dtypeName(held.dtype) << " at position " << past[0];
      past[0] += tokens;
      past[1] += tokens;
    }
    const uint8_t *pool8 =
        reinterpret_cast<const uint8_t *>(narrowBlocks.data());
    const int64_t bytes = llmc::runtime::dtypeBytes(held.dtype);
    float worst = 0.0f;
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t kv = 0; kv < 2; ++kv)
        for (int64_t h = 0; h < s.kvHeads; ++h)
          for (int64_t p = 0; p < past[b]; ++p) {
            const int64_t block =
                exact.table[size_t(b * exact.columns + p / exact.tokens)];
            const int64_t plane =
                ((block * s.layers + s.layer) * 2 + kv) * s.cacheHeads + h;
            const float *want =
                blocks.data() +
                (plane * exact.tokens + p % exact.tokens) * s.headDim;
            const uint8_t *start =
                pool8 + plane * narrow.rows() * s.headDim * bytes;
            const uint8_t *row = start + p % exact.tokens * s.headDim * bytes;
            float scale = 0.0f;
            std::memcpy(&scale, start + exact.tokens * s.headDim, 4);
            for (int64_t d = 0; d < s.headDim; ++d) {
              float value;
              uint16_t half = 0;
              if (bytes == 2)
                std::memcpy(&half, row + d * 2, 2);
              if (held.dtype == DType::f16)
                value = llmc::format::halfToFloat(half);
              else if (held.dtype == DType::bf16)
                value = llmc::format::bfloat16ToFloat(half);
              else if (held.dtype == DType::i8)
                value = float(int8_t(row[d])) * scale;
              else
                value = llmc::format::fp8ToFloat(row[d], true) * scale;
              const float bound = held.relative * std::fabs(want[d]) +
                                  held.steps * scale + 1e-7f;
              worst = std::max(worst, std::fabs(value - want[d]) / bound);
            }
          }
    EXPECT_LE(worst, 1.0f) << dtypeName(held.dtype)
                           << " rows: the worst error over its bound";
  }
}

TEST(CachedAttention, ABlockOutsideThePoolIsRefused) {
  ThreadPool pool(1);
  AttentionShape s = small(1, 5, 2, 1);
  auto [q, k, v] = randomInputs(s, 1);
  std::vector<float> blocks(3 * 2 * 4 * 8, 0.0f);
  // Positions 0..4 take the first two of the table's blocks: 2 and 3.
  Paged paged{3, 4, 2, {2, 3}};
  Expected<std::vector<float>> got =
      step(s, q, k, v, blocks, {0}, pool, &paged);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.status().message(), "block 1 of sequence 0's table is 3, "
                                    "outside the pool's 3 blocks");
  paged.table = {2, 0};
  got = step(s, q, k, v, blocks, {0}, pool, &paged);
  ASSERT_TRUE(got) << got.status().message();
}

} // namespace
