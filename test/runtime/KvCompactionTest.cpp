//===- KvCompactionTest.cpp - eviction's kept tokens, moved up ------------===//
//
// A key written at position p and moved to position j must be the key
// RoPE gives at j (kernels::rope, the kernel the model's own rope runs);
// a value must be unchanged; in every element type the cache holds, within
// what its rounding allows.
//
//===----------------------------------------------------------------------===//

#include "runtime/kvcache/KvCompaction.h"
#include "kernels/common/KvQuant.h"
#include "kernels/cpu/KvRows.h"
#include "kernels/cpu/Transformer.h"
#include "runtime/exec/Tensor.h"
#include "runtime/format/Float16.h"
#include "runtime/kvcache/KvStorage.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <random>

using namespace llmc;
using namespace llmc::runtime;

namespace {

constexpr int64_t kLayers = 2, kHeads = 2, kHeadDim = 8, kBlock = 4,
                  kMaxSeq = 16;

CacheInfo cacheOf(DType dtype, int32_t pairs, int64_t rotaryDim) {
  CacheInfo cache;
  cache.layers = kLayers;
  cache.kvHeads = kHeads;
  cache.headDim = kHeadDim;
  cache.blockTokens = kBlock;
  cache.dtype = int32_t(dtype);
  KvEviction &e = cache.eviction;
  e.policy = "window";
  e.window = 8;
  e.sinks = 2;
  e.ropePairs = pairs;
  e.rotaryDim = rotaryDim;
  for (int64_t p = 0; p < kMaxSeq; ++p)
    for (int64_t i = 0; i < rotaryDim / 2; ++i) {
      const double angle =
          double(p) * std::pow(10000.0, -2.0 * double(i) / double(rotaryDim));
      e.ropeCos.push_back(float(std::cos(angle)));
      e.ropeSin.push_back(float(std::sin(angle)));
    }
  return cache;
}

struct Blocks {
  const CacheInfo &cache;
  std::vector<uint8_t> bytes;
  int64_t rows() const { return kBlock + (cache.quantized() ? 1 : 0); }
  int64_t element() const { return dtypeBytes(DType(cache.dtype)); }
  uint64_t blockBytes() const {
    return uint64_t(kLayers * 2 * kHeads * rows() * kHeadDim * element());
  }
  uint8_t *plane(int64_t p, int64_t layer, int64_t kv, int64_t head) {
    return bytes.data() + uint64_t(p / kBlock) * blockBytes() +
           uint64_t(((layer * 2 + kv) * kHeads + head) * rows() * kHeadDim *
                    element());
  }
  void write(int64_t p, int64_t layer, int64_t kv, int64_t head,
             const float *row) {
    uint8_t *at = plane(p, layer, kv, head);
    const int64_t slot = p % kBlock;
    switch (DType(cache.dtype)) {
    case DType::f32:
      std::memcpy(at + slot * kHeadDim * 4, row, kHeadDim * sizeof(float));
      return;
    case DType::f16:
    case DType::bf16:
      for (int64_t d = 0; d < kHeadDim; ++d)
        reinterpret_cast<uint16_t *>(at)[slot * kHeadDim + d] =
            DType(cache.dtype) == DType::f16 ? format::floatToHalf(row[d])
                                             : format::floatToBfloat16(row[d]);
      return;
    default:
      kernels::writeKvRow(at, kBlock, kHeadDim, slot, row,
                          DType(cache.dtype) == DType::i8
                              ? kernels::QuantCodes::int8
                              : kernels::QuantCodes::fp8e4m3);
    }
  }
  std::vector<float> read(int64_t p, int64_t layer, int64_t kv, int64_t head) {
    uint8_t *at = plane(p, layer, kv, head);
    std::vector<float> row(kHeadDim);
    kernels::widenKvRow(
        kvStorageOf(DType(cache.dtype)), at + p % kBlock * kHeadDim * element(),
        kHeadDim,
        cache.quantized() ? kernels::kvScale(at, kBlock, kHeadDim) : 1.0f,
        row.data());
    return row;
  }
};

struct Case {
  DType dtype;
  int32_t pairs;
  int64_t rotaryDim;
  float tolerance;
};

// The case as ctest names it (gtest would print its bytes, padding too).
void PrintTo(const Case &c, std::ostream *os) {
  *os << dtypeName(c.dtype) << "-pairs" << c.pairs << "-rotary" << c.rotaryDim;
}

class KvCompactionTest : public testing::TestWithParam<Case> {};

TEST_P(KvCompactionTest, MovedKeysAreRotatedToTheirNewPositions) {
  const Case c = GetParam();
  const CacheInfo cache = cacheOf(c.dtype, c.pairs, c.rotaryDim);
  KvCompaction compaction(cache);
  const int64_t tokens = 12;
  Blocks from{cache, {}}, to{cache, {}};
  ASSERT_EQ(compaction.blockBytes(), from.blockBytes());
  from.bytes.assign(3 * from.blockBytes(), 0);
  // Raw rows; the cache holds keys rotated to their positions.
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> raw(size_t(kLayers * 2 * kHeads * tokens * kHeadDim));
  auto rawRow = [&](int64_t layer, int64_t kv, int64_t head, int64_t p) {
    return raw.data() +
           (((layer * 2 + kv) * kHeads + head) * tokens + p) * kHeadDim;
  };
  for (float &x : raw)
    x = uniform(random);
  const auto pairs =
      c.pairs == 1 ? kernels::RopePairs::half : kernels::RopePairs::interleaved;
  auto rotated = [&](const float *row, int64_t p) {
    std::vector<float> key(row, row + kHeadDim);
    kernels::rope(key.data(), cache.eviction.ropeCos.data(),
                  cache.eviction.ropeSin.data(), &p, 1, 1, kHeadDim,
                  c.rotaryDim, pairs);
    return key;
  };
  for (int64_t p = 0; p < tokens; ++p)
    for (int64_t layer = 0; layer < kLayers; ++layer)
      for (int64_t head = 0; head < kHeads; ++head) {
        from.write(p, layer, 0, head,
                   rotated(rawRow(layer, 0, head, p), p).data());
        from.write(p, layer, 1, head, rawRow(layer, 1, head, p));
      }
  // Room for one more token in a budget of 2 sinks + 8: a block's worth
  // after the sinks goes.
  const std::vector<int64_t> keep = compaction.kept(tokens, 1);
  ASSERT_EQ(keep, (std::vector<int64_t>{0, 1, 6, 7, 8, 9, 10, 11}));
  // And h2o's lists, one per (layer, head): the latest 4 and the 4 others
  // with the largest (random) sums.
  const int64_t capacity = kMaxSeq;
  std::vector<float> received(size_t(kLayers * kHeads * capacity));
  for (float &x : received)
    x = uniform(random);
  const KvCompaction::Keeps attended = compaction.mostAttended(
      tokens, int64_t(keep.size()), received.data(), capacity);
  ASSERT_EQ(attended.size(), size_t(kLayers * kHeads));
  for (const KvCompaction::Keeps &keeps :
       {KvCompaction::Keeps{keep}, attended}) {
    to.bytes.assign(2 * to.blockBytes(), 0xee);
    compaction.compact(from.bytes.data(), to.bytes.data(), keeps);
    float worst = 0.0f;
    for (int64_t layer = 0; layer < kLayers; ++layer)
      for (int64_t head = 0; head < kHeads; ++head) {
        const std::vector<int64_t> &kept =
            keeps.size() == 1 ? keeps[0] : keeps[size_t(layer * kHeads + head)];
        for (int64_t j = 0; j < int64_t(kept.size()); ++j) {
          const std::vector<float> key = to.read(j, layer, 0, head),
                                   value = to.read(j, layer, 1, head);
          const std::vector<float> wantKey =
              rotated(rawRow(layer, 0, head, kept[j]), j);
          const float *wantValue = rawRow(layer, 1, head, kept[j]);
          for (int64_t d = 0; d < kHeadDim; ++d) {
            worst = std::max(worst, std::abs(key[d] - wantKey[d]));
            worst = std::max(worst, std::abs(value[d] - wantValue[d]));
          }
        }
      }
    EXPECT_LE(worst, c.tolerance) << keeps.size() << " lists";
  }
  // Unmoved (the sinks) stay as they were where the type has no block
  // scale to change.
  to.bytes.assign(2 * to.blockBytes(), 0xee);
  compaction.compact(from.bytes.data(), to.bytes.data(), {keep});
  if (!cache.quantized())
    EXPECT_EQ(to.read(1, 1, 0, 1), from.read(1, 1, 0, 1));
}

INSTANTIATE_TEST_SUITE_P(EveryKvType, KvCompactionTest,
                         testing::Values(Case{DType::f32, 0, 8, 2e-6f},
                                         Case{DType::f32, 1, 8, 2e-6f},
                                         Case{DType::f32, 1, 6, 2e-6f},
                                         Case{DType::f16, 1, 8, 2e-3f},
                                         Case{DType::bf16, 0, 8, 1.6e-2f},
                                         Case{DType::i8, 1, 8, 2.5e-2f},
                                         Case{DType::f8e4m3, 0, 8, 0.13f}));

TEST(KvCompaction, KeepsTheSinksAndTheLatestTokensAndSaysWhenACallIsTooLong) {
  const CacheInfo cache = cacheOf(DType::f32, 1, 8);
  KvCompaction compaction(cache);
  EXPECT_EQ(compaction.mostPerCall(), 8);
  // Within the budget of 10: everything stays.
  EXPECT_EQ(compaction.kept(9, 1).size(), 9u);
  EXPECT_EQ(compaction.kept(8, 8), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(compaction.kept(12, 9).empty());
  // Fewer tokens than the sinks: nothing after them to evict.
  EXPECT_TRUE(compaction.kept(1, 10).empty());
}

TEST(KvCompaction, H2oKeepsTheLatestHalfAndTheMostAttendedPerPlane) {
  CacheInfo cache = cacheOf(DType::f32, 1, 8);
  cache.eviction.policy = "h2o";
  KvCompaction compaction(cache);
  const int64_t capacity = kMaxSeq, tokens = 12, n = 8;
  std::vector<float> received(size_t(kLayers * kHeads * capacity), 0.0f);
  // Plane 0: positions 3, 5 and 1 received the most, then a tie at 0.5
  // between 2 and 6 (the earlier wins); plane 3: 7, 6, 5 and 4. The
  // latest window / 2 = 4 (8 .. 11) stay whatever they received.
  for (auto [p, sum] : {std::pair<int64_t, float>{3, 9.0f},
                        {5, 8.0f},
                        {1, 7.0f},
                        {2, 0.5f},
                        {6, 0.5f},
                        {9, 0.0f}})
    received[size_t(p)] = sum;
  for (int64_t p = 4; p < 8; ++p)
    received[size_t(3 * capacity + p)] = float(p);
  const KvCompaction::Keeps keeps =
      compaction.mostAttended(tokens, n, received.data(), capacity);
  ASSERT_EQ(keeps.size(), size_t(kLayers * kHeads));
  EXPECT_EQ(keeps[0], (std::vector<int64_t>{1, 2, 3, 5, 8, 9, 10, 11}));
  EXPECT_EQ(keeps[3], (std::vector<int64_t>{4, 5, 6, 7, 8, 9, 10, 11}));
  // All zero: the oldest.
  EXPECT_EQ(keeps[1], (std::vector<int64_t>{0, 1, 2, 3, 8, 9, 10, 11}));
  // The sums move with their tokens; the freed positions start from 0.
  received[size_t(11)] = 4.0f;
  compaction.moveReceived(received.data(), capacity, keeps);
  EXPECT_EQ(std::vector<float>(received.begin(), received.begin() + 9),
            (std::vector<float>{7.0f, 0.5f, 9.0f, 8.0f, 0.0f, 0.0f, 0.0f, 4.0f,
                                0.0f}));
  EXPECT_EQ(std::vector<float>(received.begin() + 3 * capacity,
                               received.begin() + 3 * capacity + 5),
            (std::vector<float>{4.0f, 5.0f, 6.0f, 7.0f, 0.0f}));
}

} // namespace
