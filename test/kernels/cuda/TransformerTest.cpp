//===- TransformerTest.cpp - kernels/cuda against their CPU references ----===//
//
// Label `gpu`: each CUDA kernel runs on random data with awkward shapes and
// is compared with the kernels/cpu function of the same name (attention:
// with its definition, test/kernels/ReferenceAttention.h). Without a
// device every test is skipped, never passed.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Transformer.h"
#include "kernels/common/ElementwiseMath.h"
#include "kernels/cuda/DeviceProbe.h"
#include "kernels/cuda/Sampling.h"
#include "kernels/cuda/Transformer.h"
#include "runtime/exec/Broadcast.h"
#include "runtime/format/Float16.h"
#include "runtime/sampler/Candidates.h"
#include "test/kernels/RandomData.h"
#include "test/kernels/ReferenceAttention.h"
#include "test/kernels/cuda/CudaTest.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kc = llmc::kernels::cuda;
namespace cpu = llmc::kernels;
using llmc::test::DeviceVector;
using llmc::test::randomVector;

namespace {

float maxDifference(const std::vector<float> &a, const std::vector<float> &b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0.0f;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

class CudaKernels : public llmc::test::CudaTest {
protected:
  void SetUp() override {
    CudaTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    errors = std::make_unique<DeviceVector<unsigned>>(1);
  }
  unsigned errorWord() { return errors->host()[0]; }
  std::unique_ptr<DeviceVector<unsigned>> errors;
};

TEST_F(CudaKernels, EmbeddingGathersRowsAndFlagsBadIds) {
  const int64_t vocab = 50, dim = 300;
  std::vector<float> table = randomVector(vocab * dim, 1);
  std::vector<int64_t> ids = {3, 0, 49, 17, 3};
  DeviceVector<float> t(table), out(ids.size() * dim);
  DeviceVector<int64_t> i(ids);
  ASSERT_EQ(kc::embedding(kc::Storage::f32, t.get(), i.get(), ids.size(), vocab,
                          dim, out.get(), errors->get(), nullptr),
            cudaSuccess);
  std::vector<float> got = out.host(), want;
  for (int64_t id : ids)
    want.insert(want.end(), table.begin() + id * dim,
                table.begin() + (id + 1) * dim);
  EXPECT_EQ(got, want);
  EXPECT_EQ(errorWord(), 0u);

  DeviceVector<int64_t> bad(std::vector<int64_t>{2, 50});
  ASSERT_EQ(kc::embedding(kc::Storage::f32, t.get(), bad.get(), 2, vocab, dim,
                          out.get(), errors->get(), nullptr),
            cudaSuccess);
  EXPECT_EQ(errorWord(), unsigned(kc::kTokenOutOfRange));
}

TEST_F(CudaKernels, NormsMatchTheCpuWithAndWithoutResidual) {
  for (int64_t dim : {64, 1000, 4096}) {
    const int64_t rows = 7;
    std::vector<float> x = randomVector(rows * dim, 2),
                       r = randomVector(rows * dim, 3),
                       w = randomVector(dim, 4), b = randomVector(dim, 5);
    std::vector<float> sum(rows * dim);
    for (size_t i = 0; i < sum.size(); ++i)
      sum[i] = x[i] + r[i];
    DeviceVector<float> dx(x), dr(r), dw(w), db(b), dsum(rows * dim),
        dy(rows * dim);
    std::vector<float> want(rows * dim);

    ASSERT_EQ(kc::rmsNorm(kc::Storage::f32, dx.get(), nullptr, dw.get(), 1e-5f,
                          nullptr, dy.get(), rows, dim, nullptr),
              cudaSuccess);
    cpu::rmsNorm(x.data(), w.data(), 1e-5f, want.data(), rows, dim);
    EXPECT_LT(maxDifference(dy.host(), want), 2e-5f) << "rms, dim " << dim;

    ASSERT_EQ(kc::rmsNorm(kc::Storage::f32, dx.get(), dr.get(), dw.get(), 1e-5f,
                          dsum.get(), dy.get(), rows, dim, nullptr),
              cudaSuccess);
    cpu::rmsNorm(sum.data(), w.data(), 1e-5f, want.data(), rows, dim);
    EXPECT_EQ(dsum.host(), sum);
    EXPECT_LT(maxDifference(dy.host(), want), 2e-5f) << "add rms, dim " << dim;

    ASSERT_EQ(kc::layerNorm(kc::Storage::f32, dx.get(), dr.get(), dw.get(),
                            db.get(), 1e-5f, dsum.get(), dy.get(), rows, dim,
                            nullptr),
              cudaSuccess);
    cpu::layerNorm(sum.data(), w.data(), b.data(), 1e-5f, want.data(), rows,
                   dim);
    EXPECT_LT(maxDifference(dy.host(), want), 2e-5f) << "layer, dim " << dim;
  }
}

TEST_F(CudaKernels, RopeMatchesTheCpuInBothPairings) {
  const int64_t batch = 2, tokens = 3, heads = 4, headDim = 64, rotary = 48,
                positions = 32;
  std::vector<float> x = randomVector(batch * tokens * heads * headDim, 6);
  std::vector<float> cos = randomVector(positions * rotary / 2, 7),
                     sin = randomVector(positions * rotary / 2, 8);
  std::vector<int64_t> at = {5, 6, 7, 20, 21, 31}; // per sequence
  for (bool interleaved : {true, false}) {
    DeviceVector<float> dx(x), dcos(cos), dsin(sin);
    DeviceVector<int64_t> dat(at);
    ASSERT_EQ(kc::rope(kc::Storage::f32, dx.get(), dcos.get(), dsin.get(),
                       dat.get(), true, batch, tokens, heads, headDim, rotary,
                       positions, interleaved, errors->get(), nullptr),
              cudaSuccess);
    std::vector<float> want = x;
    int64_t stride = tokens * heads * headDim;
    for (int64_t b = 0; b < batch; ++b)
      cpu::rope(want.data() + b * stride, cos.data(), sin.data(),
                at.data() + b * tokens, tokens, heads, headDim, rotary,
                interleaved ? cpu::RopePairs::interleaved
                            : cpu::RopePairs::half);
    EXPECT_LT(maxDifference(dx.host(), want), 1e-6f)
        << (interleaved ? "interleaved" : "half");
  }
  EXPECT_EQ(errorWord(), 0u);
  DeviceVector<float> dx(x), dcos(cos), dsin(sin);
  DeviceVector<int64_t> beyond(std::vector<int64_t>{0, 1, positions});
  ASSERT_EQ(kc::rope(kc::Storage::f32, dx.get(), dcos.get(), dsin.get(),
                     beyond.get(), false, 1, tokens, heads, headDim, rotary,
                     positions, true, errors->get(), nullptr),
            cudaSuccess);
  EXPECT_EQ(errorWord(), unsigned(kc::kPositionOutOfRange));
}

/// Short inputs (3 tokens, one block per query), prefill (the tiled
/// kernel: a partial last tile of 37 tokens after 21 cached ones; 64 from
/// an empty cache filling it) and decode (one token, keys split over
/// blocks and merged) against the definition; then the same with a
/// sliding window (over max_seq slots, over a ring of the window's slots
/// that the call overruns, and over such a ring inside a larger plane) and
/// soft-capped scores.
struct AttentionCase {
  int64_t tokens, capacity, past, window = 0;
  float softcap = 0.0f;
  /// The layer's ring inside its plane (0 slots: the whole plane).
  int64_t slotOffset = 0, slots = 0;
  /// The plane's kv heads (0: the layer's 2) and the layer's first of them
  /// (a head-pruned layer sharing its plane).
  int64_t cacheHeads = 0, headOffset = 0;
};

TEST_F(CudaKernels, CachedAttentionWritesTheCacheAndMatchesTheDefinition) {
  for (AttentionCase at :
       {AttentionCase{3, 40, 21}, AttentionCase{37, 80, 21},
        AttentionCase{64, 64, 0}, AttentionCase{1, 600, 517},
        AttentionCase{37, 80, 21, 20}, AttentionCase{37, 16, 21, 16},
        AttentionCase{1, 300, 517, 300}, AttentionCase{3, 40, 21, 5, 3.0f},
        AttentionCase{37, 80, 21, 0, 3.0f}, AttentionCase{1, 600, 517, 0, 3.0f},
        AttentionCase{37, 80, 21, 16, 0.0f, 50, 16},
        AttentionCase{1, 600, 517, 300, 0.0f, 280, 300},
        AttentionCase{3, 40, 21, 0, 0.0f, 0, 0, 3, 1},
        AttentionCase{37, 80, 21, 0, 0.0f, 0, 0, 3, 1},
        AttentionCase{1, 600, 517, 0, 0.0f, 0, 0, 5, 3},
        AttentionCase{37, 80, 21, 16, 0.0f, 50, 16, 3, 1}})
    for (int64_t headDim : {8, 64, 128, 256}) {
      kc::AttentionShape shape{2, at.tokens,   8, 2,   headDim,
                               2, at.capacity, 1, 0.0f};
      shape.scale = 1.0f / std::sqrt(float(headDim));
      shape.window = at.window;
      shape.softcap = at.softcap;
      shape.slotOffset = at.slotOffset;
      shape.slots = at.slots > 0 ? at.slots : at.capacity;
      shape.cacheHeads = at.cacheHeads > 0 ? at.cacheHeads : shape.kvHeads;
      shape.headOffset = at.headOffset;
      const int64_t past = at.past;
      int64_t scratchFloats = kc::attentionScratchFloats(shape);
      EXPECT_EQ(scratchFloats > 0, at.tokens == 1);
      DeviceVector<float> scratch(std::max<int64_t>(scratchFloats, 1));
      const int64_t plane = shape.cacheHeads * shape.capacity * headDim;
      std::vector<float> cache =
          randomVector(shape.layers * 2 * shape.batch * plane, 9);
      std::vector<float> q =
          randomVector(shape.batch * shape.tokens * shape.qHeads * headDim, 10);
      std::vector<float> k = randomVector(
          shape.batch * shape.tokens * shape.kvHeads * headDim, 11);
      std::vector<float> v = randomVector(k.size(), 12);
      DeviceVector<float> dcache(cache), dq(q), dk(k), dv(v), dout(q.size());
      DeviceVector<int64_t> position(std::vector<int64_t>{past});
      ASSERT_EQ(kc::cachedAttention(kc::Storage::f32, dq.get(), dk.get(),
                                    dv.get(), dcache.get(), nullptr,
                                    position.get(), dout.get(), shape,
                                    scratch.get(), errors->get(), nullptr),
                cudaSuccess);
      std::vector<float> want =
          llmc::test::referenceCachedAttention(shape, q, k, v, cache, past);
      EXPECT_EQ(dcache.host(), cache) << at.tokens << " tokens, head_dim "
                                      << headDim << ", window " << at.window;
      EXPECT_LT(maxDifference(dout.host(), want), 2e-5f)
          << at.tokens << " tokens, head_dim " << headDim << ", window "
          << at.window << ", softcap " << at.softcap;
    }
  EXPECT_EQ(errorWord(), 0u);
}

/// A paged cache (a pool of blocks [blocks, layers, 2, kv_heads, 16,
/// head_dim], the two sequences' blocks interleaved and out of order)
/// holding what a contiguous cache holds: the same outputs bit for bit,
/// and the new keys and values written into each position's block slot.
/// Short, prefill (tiled) and decode (split) calls; then a table entry
/// outside the pool is reported.
TEST_F(CudaKernels, APagedCacheComputesWhatAContiguousOneDoes) {
  const int64_t batch = 2, layers = 2, kvHeads = 2, block = 16, capacity = 528;
  const int64_t columns = capacity / block, pool = batch * columns + 1;
  // Sequence b's column c lives in block table[b][c]: interleaved, from the
  // pool's end down.
  std::vector<int32_t> table(batch * columns);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < columns; ++c)
      table[b * columns + c] = int32_t(pool - 1 - (c * batch + b));
  for (auto [tokens, past] :
       {std::pair<int64_t, int64_t>{3, 21}, {37, 21}, {1, 517}})
    for (int64_t headDim : {64, 128}) {
      kc::AttentionShape shape{batch,  tokens,   8, kvHeads, headDim,
                               layers, capacity, 1, 0.0f};
      shape.scale = 1.0f / std::sqrt(float(headDim));
      shape.slots = capacity;
      shape.cacheHeads = kvHeads;
      std::vector<float> cache =
          randomVector(layers * 2 * batch * kvHeads * capacity * headDim, 30);
      // contiguous [layers, 2, batch, kvHeads, capacity, headDim] ->
      // paged [pool, layers, 2, kvHeads, block, headDim]
      auto pagedIndex = [&](int64_t l, int64_t kv, int64_t b, int64_t h,
                            int64_t p) {
        int64_t at = table[b * columns + p / block];
        return ((((at * layers + l) * 2 + kv) * kvHeads + h) * block +
                p % block) *
               headDim;
      };
      auto contiguousIndex = [&](int64_t l, int64_t kv, int64_t b, int64_t h,
                                 int64_t p) {
        return ((((l * 2 + kv) * batch + b) * kvHeads + h) * capacity + p) *
               headDim;
      };
      std::vector<float> paged(pool * layers * 2 * kvHeads * block * headDim,
                               0.0f);
      auto eachRow = [&](auto visit) {
        for (int64_t l = 0; l < layers; ++l)
          for (int64_t kv = 0; kv < 2; ++kv)
            for (int64_t b = 0; b < batch; ++b)
              for (int64_t h = 0; h < kvHeads; ++h)
                for (int64_t p = 0; p < capacity; ++p)
                  visit(pagedIndex(l, kv, b, h, p),
                        contiguousIndex(l, kv, b, h, p));
      };
      eachRow([&](int64_t to, int64_t from) {
        std::copy_n(cache.begin() + from, headDim, paged.begin() + to);
      });
      std::vector<float> q = randomVector(batch * tokens * 8 * headDim, 31);
      std::vector<float> k =
          randomVector(batch * tokens * kvHeads * headDim, 32);
      std::vector<float> v = randomVector(k.size(), 33);
      DeviceVector<float> dcache(cache), dpaged(paged), dq(q), dk(k), dv(v),
          outContiguous(q.size()), outPaged(q.size());
      DeviceVector<int64_t> position(std::vector<int64_t>{past});
      DeviceVector<int32_t> dtable(table);
      DeviceVector<float> scratch(
          std::max<int64_t>(kc::attentionScratchFloats(shape), 1));
      ASSERT_EQ(kc::cachedAttention(kc::Storage::f32, dq.get(), dk.get(),
                                    dv.get(), dcache.get(), nullptr,
                                    position.get(), outContiguous.get(), shape,
                                    scratch.get(), errors->get(), nullptr),
                cudaSuccess);
      kc::AttentionShape pagedShape = shape;
      pagedShape.blockTokens = block;
      pagedShape.tableColumns = columns;
      pagedShape.poolBlocks = pool;
      ASSERT_EQ(kc::cachedAttention(kc::Storage::f32, dq.get(), dk.get(),
                                    dv.get(), dpaged.get(), dtable.get(),
                                    position.get(), outPaged.get(), pagedShape,
                                    scratch.get(), errors->get(), nullptr),
                cudaSuccess);
      EXPECT_EQ(outPaged.host(), outContiguous.host())
          << tokens << " tokens after " << past << ", head_dim " << headDim;
      std::vector<float> written = dcache.host(), pagedWritten = dpaged.host();
      bool same = true;
      eachRow([&](int64_t at, int64_t from) {
        same = same && std::equal(pagedWritten.begin() + at,
                                  pagedWritten.begin() + at + headDim,
                                  written.begin() + from);
      });
      EXPECT_TRUE(same) << "the written cache, " << tokens << " tokens after "
                        << past << ", head_dim " << headDim;
    }
  EXPECT_EQ(errorWord(), 0u);

  // Sequence 1's block for positions 16..31 is outside the pool.
  std::vector<int32_t> bad = table;
  bad[columns + 1] = int32_t(pool);
  kc::AttentionShape shape{batch,  1,        8, kvHeads, 64,
                           layers, capacity, 1, 0.125f};
  shape.slots = capacity;
  shape.cacheHeads = kvHeads;
  shape.blockTokens = block;
  shape.tableColumns = columns;
  shape.poolBlocks = pool;
  DeviceVector<float> dpool(pool * layers * 2 * kvHeads * block * 64),
      dq(batch * 8 * 64), dk(batch * kvHeads * 64), dv(batch * kvHeads * 64),
      out(batch * 8 * 64);
  DeviceVector<int64_t> position(std::vector<int64_t>{40});
  DeviceVector<int32_t> dbad(bad);
  DeviceVector<float> scratch(
      std::max<int64_t>(kc::attentionScratchFloats(shape), 1));
  ASSERT_EQ(kc::cachedAttention(kc::Storage::f32, dq.get(), dk.get(), dv.get(),
                                dpool.get(), dbad.get(), position.get(),
                                out.get(), shape, scratch.get(), errors->get(),
                                nullptr),
            cudaSuccess);
  EXPECT_EQ(errorWord(), unsigned(kc::kBlockOutOfRange));
}

TEST_F(CudaKernels, ActivationsAreTheSharedMath) {
  const int64_t rows = 3, width = 500, stride = 512;
  std::vector<float> gate = randomVector(rows * stride, 13),
                     up = randomVector(rows * stride, 14);
  for (int kind : {0, 1, 2}) {
    DeviceVector<float> dg(gate), du(up);
    ASSERT_EQ(kc::activate(kc::Storage::f32, dg.get(), du.get(), rows, width,
                           stride, kind, nullptr),
              cudaSuccess);
    std::vector<float> got = dg.host(), want = gate;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < width; ++i) {
        float g = gate[r * stride + i];
        float a = kind == 0   ? llmc::math::silu(g)
                  : kind == 1 ? llmc::math::gelu(g)
                              : llmc::math::geluTanh(g);
        want[r * stride + i] = a * up[r * stride + i];
      }
    EXPECT_LT(maxDifference(got, want), 1e-5f) << "activation " << kind;
  }
}

TEST_F(CudaKernels, StridedCopyTakesTheLastToken) {
  // [2, 5, 3] -> [2, 1, 3] at token 4, as the prefill's last-logits slice.
  std::vector<float> x = randomVector(30, 15);
  DeviceVector<float> dx(x), out(6);
  kc::StridedCopy copy = {3, {2, 1, 3}, {15, 3, 1}, 12};
  ASSERT_EQ(kc::stridedCopy(dx.get(), out.get(), 4, copy, nullptr),
            cudaSuccess);
  std::vector<float> want = {x[12], x[13], x[14], x[27], x[28], x[29]};
  EXPECT_EQ(out.host(), want);
}

TEST_F(CudaKernels, ExpandRepeatsAlongBroadcastAxes) {
  // i64 position ids [1, 4] -> [3, 4], as the past-KV exports' Expand,
  // read through llmc::runtime's expandStrides like the runtime does.
  std::vector<int64_t> ids = {7, 8, 9, 10};
  DeviceVector<int64_t> dids(ids), out(12);
  llmc::runtime::Expected<std::vector<int64_t>> strides =
      llmc::runtime::expandStrides({1, 4}, {3, 4});
  ASSERT_TRUE(strides) << strides.status().message();
  kc::StridedCopy copy = {2, {3, 4}, {(*strides)[0], (*strides)[1]}, 0};
  ASSERT_EQ(kc::stridedCopy(dids.get(), out.get(), 8, copy, nullptr),
            cudaSuccess);
  std::vector<int64_t> want;
  for (int r = 0; r < 3; ++r)
    want.insert(want.end(), ids.begin(), ids.end());
  EXPECT_EQ(out.host(), want);
}

} // namespace

namespace {

std::vector<uint16_t> toHalf(const std::vector<float> &values) {
  std::vector<uint16_t> out;
  for (float v : values)
    out.push_back(llmc::format::floatToHalf(v));
  return out;
}

std::vector<float> fromHalf(const std::vector<uint16_t> &values) {
  std::vector<float> out;
  for (uint16_t v : values)
    out.push_back(llmc::format::halfToFloat(v));
  return out;
}

/// f16 storage, f32 arithmetic: the CPU's f32 results on the same
/// (f16-rounded) inputs, to f16's precision.
TEST_F(CudaKernels, HalfStorageMatchesTheCpuToHalfPrecision) {
  const int64_t rows = 4, dim = 2048;
  std::vector<float> x = fromHalf(toHalf(randomVector(rows * dim, 20))),
                     w = fromHalf(toHalf(randomVector(dim, 21)));
  DeviceVector<uint16_t> dx(toHalf(x)), dw(toHalf(w)), dy(rows * dim);
  ASSERT_EQ(kc::rmsNorm(kc::Storage::f16, dx.get(), nullptr, dw.get(), 1e-5f,
                        nullptr, dy.get(), rows, dim, nullptr),
            cudaSuccess);
  std::vector<float> want(rows * dim);
  cpu::rmsNorm(x.data(), w.data(), 1e-5f, want.data(), rows, dim);
  float worst = 0.0f;
  std::vector<float> got = fromHalf(dy.host());
  for (size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::fabs(got[i] - want[i]) /
                                std::max(1.0f, std::fabs(want[i])));
  EXPECT_LT(worst, 2e-3f);

  // Attention: decode (split keys) and prefill (the tiled kernel).
  for (auto [tokens, past] : {std::pair<int64_t, int64_t>{1, 257}, {24, 100}}) {
    kc::AttentionShape shape{1, tokens, 32, 8, 128, 1, 300, 0, 0.0f};
    shape.scale = 1.0f / std::sqrt(128.0f);
    shape.slots = shape.capacity;
    shape.cacheHeads = shape.kvHeads;
    const int64_t plane = shape.kvHeads * shape.capacity * 128;
    std::vector<float> cache = fromHalf(toHalf(randomVector(2 * plane, 22)));
    std::vector<float> q = fromHalf(
                           toHalf(randomVector(tokens * 32 * 128, 23))),
                       k = fromHalf(toHalf(randomVector(tokens * 8 * 128, 24))),
                       v = fromHalf(toHalf(randomVector(tokens * 8 * 128, 25)));
    DeviceVector<uint16_t> dcache(toHalf(cache)), dq(toHalf(q)), dk(toHalf(k)),
        dv(toHalf(v)), dout(q.size());
    DeviceVector<int64_t> position(std::vector<int64_t>{past});
    DeviceVector<float> scratch(
        std::max<int64_t>(kc::attentionScratchFloats(shape), 1));
    ASSERT_EQ(kc::cachedAttention(kc::Storage::f16, dq.get(), dk.get(),
                                  dv.get(), dcache.get(), nullptr,
                                  position.get(), dout.get(), shape,
                                  scratch.get(), errors->get(), nullptr),
              cudaSuccess);
    std::vector<float> expected =
        llmc::test::referenceCachedAttention(shape, q, k, v, cache, past);
    EXPECT_LT(maxDifference(fromHalf(dout.host()), expected), 2e-3f)
        << tokens << " tokens";
  }
}

} // namespace

namespace {

/// The sampler's candidates (runtime/sampler/Candidates.h): per row,
/// exactly the tokens selectCandidates selects -- at or above the k-th
/// largest logit (ties included), or the most likely tokens holding a
/// mass of the softmax -- with their logits, and for a mass the weight of
/// the rest.
TEST_F(CudaKernels, CandidatesAreTheHostSelection) {
  const int64_t rows = 3, vocab = 5000, capacity = vocab;
  std::vector<float> logits = randomVector(rows * vocab, 30);
  for (float &l : logits)
    l = std::round(l * 32) / 8; // ties
  DeviceVector<float> dl(logits), values(rows * capacity), rests(rows);
  DeviceVector<int64_t> ids(rows * capacity), counts(rows);
  using llmc::runtime::CandidateQuery;
  for (CandidateQuery query :
       {CandidateQuery{1}, CandidateQuery{7}, CandidateQuery{40},
        CandidateQuery{0, 0.5f, 1.0f}, CandidateQuery{0, 0.9f, 0.7f},
        CandidateQuery{0, 0.95f, 2.0f}}) {
    kc::CandidateRequest request{query.k, query.mass, query.temperature};
    ASSERT_EQ(kc::selectCandidates(kc::Storage::f32, dl.get(), rows, vocab,
                                   request, capacity, values.get(), ids.get(),
                                   counts.get(), rests.get(), nullptr),
              cudaSuccess);
    std::vector<int64_t> found = counts.host(), gotIds = ids.host();
    std::vector<float> gotValues = values.host(), gotRests = rests.host();
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = logits.data() + r * vocab;
      std::vector<float> wantValues;
      std::vector<int64_t> want;
      double rest =
          llmc::runtime::selectCandidates(row, vocab, query, wantValues, want);
      std::sort(want.begin(), want.end());
      ASSERT_LE(found[r], capacity);
      std::vector<int64_t> got(gotIds.begin() + r * capacity,
                               gotIds.begin() + r * capacity + found[r]);
      for (int64_t i = 0; i < found[r]; ++i)
        EXPECT_EQ(gotValues[r * capacity + i], row[got[i]]);
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << "k " << query.k << " mass " << query.mass
                           << " row " << r;
      EXPECT_NEAR(gotRests[r], rest, 1e-4 * std::max(1.0, rest))
          << "k " << query.k << " mass " << query.mass << " row " << r;
    }
  }
}

} // namespace
