//===- KvQuantTest.cpp - int8 and fp8 KV planes with per-block scales -----===//

#include "kernels/common/KvQuant.h"
#include "kernels/cpu/KvRows.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace llmc::kernels;

namespace {

constexpr int64_t kTokens = 4, kDim = 8;

std::vector<float> readAll(const std::vector<uint8_t> &plane, int64_t rows,
                           QuantCodes codes) {
  std::vector<float> out(size_t(rows * kDim));
  for (int64_t r = 0; r < rows; ++r)
    widenKvRowWith(CpuIsa::scalar,
                   codes == QuantCodes::int8 ? KvStorage::int8 : KvStorage::fp8,
                   plane.data() + r * kDim, kDim,
                   kvScale(plane.data(), kTokens, kDim), out.data() + r * kDim);
  return out;
}

} // namespace

TEST(KvQuant, TheFirstRowSetsTheScaleAndALargerOneRaisesIt) {
  for (QuantCodes codes : {QuantCodes::int8, QuantCodes::fp8e4m3}) {
    const float limit = kvCodeLimit(codes);
    // A plane left over from another block: slot 0 starts afresh.
    std::vector<uint8_t> plane(size_t((kTokens + 1) * kDim), 0x55);
    std::vector<float> small(kDim), large(kDim);
    for (int64_t d = 0; d < kDim; ++d) {
      small[size_t(d)] = 0.1f * float(d - 3);
      large[size_t(d)] = 2.0f * float(d - 4);
    }
    // int8: the largest magnitude over 127; fp8: the power of two at or
    // above it over 448.
    const bool int8 = codes == QuantCodes::int8;
    const float first = int8 ? 0.4f / limit : 1.0f / 1024.0f,
                raised = int8 ? 8.0f / limit : 1.0f / 32.0f;
    writeKvRow(plane.data(), kTokens, kDim, 0, small.data(), codes);
    EXPECT_FLOAT_EQ(kvScale(plane.data(), kTokens, kDim), first);
    // A smaller row keeps the scale.
    std::vector<float> smaller(kDim, 0.05f);
    writeKvRow(plane.data(), kTokens, kDim, 1, smaller.data(), codes);
    EXPECT_FLOAT_EQ(kvScale(plane.data(), kTokens, kDim), first);
    // A larger one raises it for its own largest magnitude, 8.
    writeKvRow(plane.data(), kTokens, kDim, 2, large.data(), codes);
    const float scale = kvScale(plane.data(), kTokens, kDim);
    EXPECT_FLOAT_EQ(scale, raised);
    std::vector<float> got = readAll(plane, 3, codes);
    // int8: each value within half a step of each scale it was coded at;
    // fp8: E4M3's relative rounding once (the raise by a power of two
    // shifts exponents exactly) above its smallest normal, 2^-6 x scale,
    // and half its smallest step, 2^-10 x scale, below.
    for (int64_t d = 0; d < kDim; ++d)
      for (auto [row, want] : {std::pair<int64_t, float>{0, small[size_t(d)]},
                               {1, smaller[size_t(d)]},
                               {2, large[size_t(d)]}}) {
        const float error = std::fabs(got[size_t(row * kDim + d)] - want);
        const float bound = int8 ? 0.5f * scale + 0.5f * first + 1e-6f
                                 : 0.0625f * std::fabs(want) + scale / 1024.0f;
        EXPECT_LE(error, bound) << (codes == QuantCodes::int8 ? "int8" : "fp8")
                                << " row " << row << ", feature " << d;
      }
  }
}

TEST(KvQuant, ARowOfZerosCodesZeros) {
  std::vector<uint8_t> plane(size_t((kTokens + 1) * kDim), 0x7f);
  std::vector<float> zeros(kDim, 0.0f);
  writeKvRow(plane.data(), kTokens, kDim, 0, zeros.data(), QuantCodes::int8);
  EXPECT_EQ(kvScale(plane.data(), kTokens, kDim), 0.0f);
  for (float value : readAll(plane, 1, QuantCodes::int8))
    EXPECT_EQ(value, 0.0f);
}

TEST(KvQuant, EveryInstructionSetWidensRowsAlike) {
  // 37 values: whole vectors and a tail, on every path this CPU has,
  // against the portable one and KvQuant.h's decoding; int8 and fp8 codes
  // (but fp8's NaN, never written), f16 and bf16 values of both signs
  // (NaNs among them: NaN for NaN).
  const int64_t count = 37;
  std::vector<uint8_t> bytes(size_t(2 * count));
  for (int64_t i = 0; i < 2 * count; ++i)
    bytes[size_t(i)] =
        uint8_t((i * 53 + 11) % 256 == 0x7f ? 0x7e : (i * 53 + 11) % 256);
  for (KvStorage held :
       {KvStorage::f16, KvStorage::bf16, KvStorage::int8, KvStorage::fp8}) {
    std::vector<float> want(count);
    widenKvRowWith(CpuIsa::scalar, held, bytes.data(), count, 0.5f,
                   want.data());
    if (held == KvStorage::int8 || held == KvStorage::fp8)
      for (int64_t i = 0; i < count; ++i)
        EXPECT_EQ(want[size_t(i)],
                  kvDecode(bytes[size_t(i)], held == KvStorage::int8
                                                 ? QuantCodes::int8
                                                 : QuantCodes::fp8e4m3) *
                      0.5f);
    for (CpuIsa isa : {CpuIsa::avx2, CpuIsa::avx512}) {
      if (!cpuHas(isa))
        continue;
      std::vector<float> got(count);
      widenKvRowWith(isa, held, bytes.data(), count, 0.5f, got.data());
      for (int64_t i = 0; i < count; ++i)
        EXPECT_TRUE(got[size_t(i)] == want[size_t(i)] ||
                    (std::isnan(got[size_t(i)]) && std::isnan(want[size_t(i)])))
            << "storage " << int(held) << ", isa " << int(isa) << ", value "
            << i << ": " << got[size_t(i)] << " against " << want[size_t(i)];
    }
  }
}
