//===- QuantLinearTest.cpp - quantized linear kernels vs the definition ---===//
//
// Random codes, scales and zero points in each format, on odd shapes; every
// path (portable, AVX2, AVX-512; decode rows and the prefill GEMM) against
// w = (code - zero) * scale evaluated in double precision here.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/QuantLinear.h"
#include "kernels/cpu/QuantGemvInt8.h"
#include "runtime/format/Float16.h"
#include "test/kernels/RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace llmc::kernels;
using llmc::format::QuantCodes;
using llmc::test::randomVector;

namespace {

/// A workspace of exactly the size the memory plan gives a thread (every
/// path's use must fit: Workspace stops the process otherwise).
OwnedWorkspace plannedWork(int64_t m, const QuantWeight &w) {
  return OwnedWorkspace(llmc::format::quantLinearWorkBytes(m, w.k, w.group));
}

/// The integer path as the runtime takes it: on AVX2, x rounded once into
/// int8 blocks for quantGemmAvx2; on AVX-512, VNNI through quantLinearWith.
void int8Linear(CpuIsa isa, const std::vector<float> &x, const QuantWeight &w,
                int64_t begin, int64_t end, const float *bias, float *y,
                int64_t m, int64_t ldy) {
  OwnedWorkspace work = plannedWork(m, w);
  if (isa != CpuIsa::avx2)
    return quantLinearWith(isa, true, x.data(), w, begin, end, bias, y, m, ldy,
                           work.get());
  const int64_t bytes = llmc::format::int8BlocksLayout(m, w.k).totalBytes;
  OwnedWorkspace memory(bytes);
  Int8Blocks blocks = Int8Blocks::in(memory.get().take<uint8_t>(bytes), m, w.k);
  roundToInt8BlocksAvx2(x.data(), blocks);
  quantGemmAvx2(blocks, w, begin, end, bias, y, ldy, work.get());
}

struct Case {
  QuantCodes codes;
  int64_t m, n, k, group;
  bool halfScales, zeros;
};

/// A weight in `c`'s format with random contents, and its values.
struct RandomWeight {
  std::vector<uint8_t> data, zeros;
  std::vector<float> scales;
  std::vector<uint16_t> halfScales;
  std::vector<double> values; // [n, k], the definition
  QuantWeight view;

  RandomWeight(const Case &c, unsigned seed) {
    std::mt19937 engine(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> positive(0.01f, 0.2f);
    int64_t groups = c.k / c.group;
    view.codes = c.codes;
    view.n = c.n;
    view.k = c.k;
    view.group = c.group;
    data.resize(c.n * llmc::format::quantRowBytes(c.codes, c.k));
    for (uint8_t &b : data) {
      b = static_cast<uint8_t>(byte(engine));
      // No NaN codes: the compiler never writes them.
      if (c.codes == QuantCodes::fp8e4m3 && (b & 0x7f) == 0x7f)
        b = 0x7e;
      if (c.codes == QuantCodes::fp8e5m2 && (b & 0x7c) == 0x7c)
        b &= 0xfb;
    }
    for (int64_t i = 0; i < c.n * groups; ++i) {
      float scale = positive(engine);
      if (c.halfScales) {
        halfScales.push_back(llmc::format::floatToHalf(scale));
        scales.push_back(llmc::format::halfToFloat(halfScales.back()));
      } else {
        scales.push_back(scale);
      }
      if (c.zeros)
        zeros.push_back(static_cast<uint8_t>(
            c.codes == QuantCodes::uint4 ? byte(engine) % 16 : byte(engine)));
    }
    view.data = data.data();
    view.halfScales = c.halfScales;
    view.scales = c.halfScales ? static_cast<const void *>(halfScales.data())
                               : scales.data();
    view.zeros = c.zeros ? zeros.data() : nullptr;
    values.resize(c.n * c.k);
    int64_t rowBytes = llmc::format::quantRowBytes(c.codes, c.k);
    for (int64_t r = 0; r < c.n; ++r)
      for (int64_t l = 0; l < c.k; ++l) {
        const uint8_t *row = data.data() + r * rowBytes;
        int64_t g = r * groups + l / c.group;
        double code, zero = 0;
        switch (c.codes) {
        case QuantCodes::int8:
          code = static_cast<int8_t>(row[l]);
          if (c.zeros)
            zero = static_cast<int8_t>(zeros[g]);
          break;
        case QuantCodes::uint4: {
          // Runs of 32: byte j holds weight j (low) and j + 16 (high).
          uint8_t b = row[l / 32 * 16 + l % 16];
          code = l % 32 < 16 ? (b & 15) : (b >> 4);
          zero = zeros[g];
          break;
        }
        case QuantCodes::fp8e4m3:
        case QuantCodes::fp8e5m2: {
          bool e4m3 = c.codes == QuantCodes::fp8e4m3;
          int mantissaBits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15;
          int exponent = (row[l] & 0x7f) >> mantissaBits;
          int mantissa = row[l] & ((1 << mantissaBits) - 1);
          code = exponent
                     ? std::ldexp(1.0 + std::ldexp(mantissa, -mantissaBits),
                                  exponent - bias)
                     : std::ldexp(mantissa, 1 - bias - mantissaBits);
          if (row[l] & 0x80)
            code = -code;
          break;
        }
        }
        values[r * c.k + l] = (code - zero) * scales[g];
      }
  }
};

void checkPath(CpuIsa isa) {
  const Case cases[] = {
      // int8 per channel (group = k) with a tail off the vector width,
      // grouped with zero points, f16 scales.
      {QuantCodes::int8, 1, 37, 172, 172, false, false},
      {QuantCodes::int8, 3, 16, 48, 16, false, true},
      {QuantCodes::int8, 4, 9, 100, 20, true, false},
      {QuantCodes::int8, 2, 5, 7, 7, false, true},
      {QuantCodes::int8, 13, 70, 300, 300, false, false},
      // uint4: groups 32, 64, 128; decode rows and the prefill GEMM.
      {QuantCodes::uint4, 1, 33, 192, 32, true, true},
      {QuantCodes::uint4, 2, 17, 256, 64, true, true},
      {QuantCodes::uint4, 4, 8, 384, 128, false, true},
      {QuantCodes::uint4, 3, 3, 32, 32, true, true},
      {QuantCodes::uint4, 9, 130, 512, 64, true, true},
      // fp8 per channel (subnormals included: codes are random bytes).
      {QuantCodes::fp8e4m3, 1, 19, 192, 192, false, false},
      {QuantCodes::fp8e4m3, 4, 6, 171, 171, false, false},
      {QuantCodes::fp8e5m2, 2, 11, 64, 32, false, false},
      {QuantCodes::fp8e4m3, 7, 40, 96, 96, false, false},
  };
  for (const Case &c : cases) {
    RandomWeight w(c, 7);
    std::vector<float> x = randomVector(c.m * c.k, 8),
                       bias = randomVector(c.n, 9);
    // A slice of the rows [begin, n), into rows of y wider than it.
    const int64_t begin = c.n > 4 ? 2 : 0, width = c.n - begin, ldy = width + 3;
    std::vector<float> y(c.m * ldy, -7.0f);
    OwnedWorkspace work = plannedWork(c.m, w.view);
    quantLinearWith(isa, false, x.data(), w.view, begin, c.n, bias.data(),
                    y.data(), c.m, ldy, work.get());
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < width; ++j) {
        double expected = bias[begin + j], magnitude = std::abs(expected);
        for (int64_t l = 0; l < c.k; ++l) {
          double term =
              double(x[i * c.k + l]) * w.values[(begin + j) * c.k + l];
          expected += term;
          magnitude += std::abs(term);
        }
        EXPECT_NEAR(y[i * ldy + j], expected, 1e-5 * (1 + magnitude))
            << "isa " << int(isa) << " codes " << int(c.codes) << " m=" << c.m
            << " n=" << c.n << " k=" << c.k << " group=" << c.group << " row "
            << i << " output " << j;
      }
      for (int64_t j = width; j < ldy; ++j)
        EXPECT_EQ(y[i * ldy + j], -7.0f) << "wrote past row " << i;
    }
  }
}

TEST(QuantLinear, Fp8CodesDecodeToTheirValues) {
  using llmc::format::fp8ToFloat;
  EXPECT_EQ(fp8ToFloat(0x38, true), 1.0f);
  EXPECT_EQ(fp8ToFloat(0x7e, true), 448.0f);
  EXPECT_EQ(fp8ToFloat(0x01, true), std::ldexp(1.0f, -9));
  EXPECT_EQ(fp8ToFloat(0xc4, true), -3.0f);
  EXPECT_TRUE(std::isnan(fp8ToFloat(0x7f, true)));
  EXPECT_EQ(fp8ToFloat(0x3c, false), 1.0f);
  EXPECT_EQ(fp8ToFloat(0x7b, false), 57344.0f);
  EXPECT_EQ(fp8ToFloat(0x01, false), std::ldexp(1.0f, -16));
  EXPECT_TRUE(std::isinf(fp8ToFloat(0x7c, false)));
}

/// format::floatToE4m3 against the code table itself: each finite value
/// is its own code, a midpoint goes to the even code of its two
/// neighbours, anything just off it to the nearer one, and 448 and beyond
/// saturate.
TEST(QuantLinear, E4m3EncodingIsNearestTiesToEven) {
  using llmc::format::floatToE4m3;
  using llmc::format::fp8ToFloat;
  for (int code = 0; code < 0x7f; ++code) {
    float value = fp8ToFloat(code, true);
    EXPECT_EQ(floatToE4m3(value), code) << value;
    EXPECT_EQ(floatToE4m3(-value), code | 0x80) << -value;
    if (code == 0x7e)
      continue;
    float next = fp8ToFloat(code + 1, true);
    float middle = (value + next) / 2; // exact: 3 significant bits apart
    EXPECT_EQ(floatToE4m3(middle), code % 2 == 0 ? code : code + 1) << middle;
    EXPECT_EQ(floatToE4m3(std::nextafter(middle, 0.0f)), code) << middle;
    EXPECT_EQ(floatToE4m3(std::nextafter(middle, 1e9f)), code + 1) << middle;
  }
  for (float big : {448.0f, 464.0f, 480.0f, 1e30f, INFINITY})
    EXPECT_EQ(floatToE4m3(big), 0x7e) << big;
  EXPECT_EQ(floatToE4m3(-1e30f), 0xfe);
}

/// int8 activations per row (W8A8): each row's scale is its largest
/// magnitude / 127, every value goes to the nearest multiple of it (ties
/// to even, as format::floatToInt8 rounds weights), the largest to +-127
/// steps; a row of zeros stays zero.
TEST(QuantLinear, Int8ActivationsRoundPerRow) {
  using llmc::format::floatToInt8;
  EXPECT_EQ(floatToInt8(2.5f), 2);
  EXPECT_EQ(floatToInt8(-63.5f), -64);
  EXPECT_EQ(floatToInt8(126.6f), 127);
  EXPECT_EQ(floatToInt8(300.0f), 127);
  EXPECT_EQ(floatToInt8(-300.0f), -127);
  const int64_t rows = 5, k = 300;
  std::vector<float> x = randomVector(rows * k, 22);
  for (int64_t l = 0; l < k; ++l)
    x[3 * k + l] = 0.0f;
  x[k + 7] = -9.0f; // row 1's largest magnitude
  std::vector<float> out(x.size());
  roundToInt8Rows(x.data(), rows, k, out.data());
  for (int64_t r = 0; r < rows; ++r) {
    float largest = 0.0f;
    for (int64_t l = 0; l < k; ++l)
      largest = std::max(largest, std::fabs(x[r * k + l]));
    if (largest == 0.0f) {
      for (int64_t l = 0; l < k; ++l)
        EXPECT_EQ(out[r * k + l], 0.0f);
      continue;
    }
    const double step = largest / 127.0;
    for (int64_t l = 0; l < k; ++l) {
      double value = x[r * k + l], rounded = out[r * k + l];
      double steps = rounded / step;
      EXPECT_NEAR(steps, std::round(steps), 1e-3) << r << ", " << l;
      EXPECT_LE(std::fabs(steps), 127.0 + 1e-3);
      EXPECT_LE(std::fabs(value - rounded), step / 2 * (1 + 1e-4))
          << r << ", " << l;
    }
  }
  EXPECT_NEAR(out[k + 7], -9.0f, 1e-5f);
}

TEST(QuantLinear, ActivationsRoundToTheNearestE4m3Value) {
  // Every E4M3 value (times the scale), the targets of the rounding.
  const float scale = 0.37f;
  std::vector<double> values;
  for (int code = 0; code < 256; ++code)
    if ((code & 0x7f) != 0x7f)
      values.push_back(double(llmc::format::fp8ToFloat(code, true)) * scale);
  std::vector<float> x = randomVector(4000, 21);
  for (float &v : x)
    v *= 40.0f; // out to past 448 * scale: saturation too
  x.push_back(0.0f);
  x.push_back(1000.0f);
  std::vector<float> out(x.size());
  roundToE4m3(x.data(), x.size(), scale, out.data());
  for (size_t i = 0; i < x.size(); ++i) {
    double best = 1e30;
    for (double v : values)
      best = std::min(best, std::abs(double(x[i]) - v));
    EXPECT_NEAR(std::abs(double(x[i]) - out[i]), best, 1e-6 * std::abs(x[i]))
        << "x = " << x[i] << " rounded to " << out[i];
    EXPECT_LE(std::abs(out[i]), 448.0f * scale * (1 + 1e-6f));
  }
}

TEST(QuantLinear, ScalarPathMatchesTheDefinition) { checkPath(CpuIsa::scalar); }

TEST(QuantLinear, Avx2PathMatchesTheDefinition) {
  if (!cpuHas(CpuIsa::avx2) || !hostCpuFeatures().f16c)
    GTEST_SKIP() << "this CPU has no AVX2+FMA+F16C";
  checkPath(CpuIsa::avx2);
}

TEST(QuantLinear, Avx512PathMatchesTheDefinition) {
  if (!cpuHas(CpuIsa::avx512))
    GTEST_SKIP() << "this CPU has no AVX-512";
  checkPath(CpuIsa::avx512);
}

/// `isa`'s dequantization against the portable definition, bit for bit.
void dequantizationIsTheDefinitionBitForBit(CpuIsa isa) {
  const Case cases[] = {
      {QuantCodes::int8, 1, 7, 172, 172, false, false},
      {QuantCodes::int8, 1, 5, 100, 20, true, true},
      {QuantCodes::uint4, 1, 9, 384, 128, true, true},
      {QuantCodes::uint4, 1, 6, 160, 32, false, true},
      {QuantCodes::fp8e4m3, 1, 19, 192, 192, false, false},
      {QuantCodes::fp8e4m3, 1, 4, 171, 171, true, false},
      {QuantCodes::fp8e5m2, 1, 11, 64, 32, false, false},
  };
  for (const Case &c : cases) {
    RandomWeight w(c, 5);
    const int64_t begin = 1;
    std::vector<float> fast((c.n - begin) * c.k, -1.0f),
        definition((c.n - begin) * c.k, -2.0f);
    OwnedWorkspace work = plannedWork(1, w.view);
    dequantizeRowsWith(isa, w.view, begin, c.n, fast.data(), work.get());
    dequantizeRows(w.view, begin, c.n, definition.data());
    for (size_t i = 0; i < fast.size(); ++i)
      ASSERT_EQ(std::memcmp(&fast[i], &definition[i], sizeof(float)), 0)
          << "codes " << int(c.codes) << " k=" << c.k << " group=" << c.group
          << " element " << i << ": " << fast[i] << " vs " << definition[i];
  }
}

TEST(QuantLinear, Avx512DequantizationIsTheDefinitionBitForBit) {
  if (!cpuHas(CpuIsa::avx512))
    GTEST_SKIP() << "this CPU has no AVX-512";
  dequantizationIsTheDefinitionBitForBit(CpuIsa::avx512);
}

TEST(QuantLinear, Avx2DequantizationIsTheDefinitionBitForBit) {
  if (!cpuHas(CpuIsa::avx2) || !hostCpuFeatures().f16c)
    GTEST_SKIP() << "this CPU has no AVX2 (with FMA and F16C)";
  dequantizationIsTheDefinitionBitForBit(CpuIsa::avx2);
}

/// x rounded as the integer paths round it: blocks of 32, scale = the block's
/// largest magnitude / 127, codes to nearest (ties to even).
std::vector<double> roundActivations(const std::vector<float> &x) {
  std::vector<double> out(x.size());
  for (size_t b = 0; b < x.size(); b += 32) {
    float largest = 0.0f;
    for (size_t j = b; j < b + 32; ++j)
      largest = std::max(largest, std::fabs(x[j]));
    float scale = largest > 0.0f ? largest / 127.0f : 1.0f;
    float inverse = 1.0f / scale;
    for (size_t j = b; j < b + 32; ++j)
      out[j] = std::nearbyint(x[j] * inverse) * double(scale);
  }
  return out;
}

/// `isa`'s integer GEMV (x rounded to int8 blocks) against the same
/// rounding in doubles; false when this CPU cannot run it.
bool int8PathMatchesItsDefinition(CpuIsa isa) {
  const Case cases[] = {
      // int8 per channel (one group per row, over several 64-weight
      // chunks and a partial one), grouped with zero points.
      {QuantCodes::int8, 1, 37, 192, 192, false, false},
      {QuantCodes::int8, 3, 16, 96, 32, true, true},
      {QuantCodes::int8, 4, 9, 768, 768, false, false},
      // uint4: groups of whole chunks (128, 256) and narrower (32, 64);
      // a partial last chunk.
      {QuantCodes::uint4, 1, 33, 256, 128, true, true},
      {QuantCodes::uint4, 2, 17, 512, 256, false, true},
      {QuantCodes::uint4, 4, 8, 192, 32, true, true},
      {QuantCodes::uint4, 3, 5, 160, 32, true, true},
      {QuantCodes::uint4, 1, 70, 384, 64, true, true},
      // More than 16 groups per row, f32 scales; rows in tiles of 8 and a
      // partial tile.
      {QuantCodes::uint4, 2, 29, 768, 32, false, true},
      {QuantCodes::uint4, 1, 45, 768, 128, true, true},
      // One block; fewer rows than a tile; groups of 32 with int8 zeros.
      {QuantCodes::uint4, 2, 3, 32, 32, true, true},
      {QuantCodes::int8, 1, 5, 32, 32, true, true},
      {QuantCodes::int8, 2, 11, 160, 32, false, true},
      // AVX2 takes blocks 8 at a time: an octet and a tail, groups of 3
      // blocks (a group's scale repeated over its blocks).
      {QuantCodes::int8, 2, 13, 288, 96, true, true},
      {QuantCodes::uint4, 4, 10, 544, 32, true, true},
      // More rows than one pass takes (AVX2 runs them as a GEMM of its
      // packed tiles, 4 rows at a time; AVX-512 dequantizes), with a
      // partial last pass; int8 without zeros, groups of several blocks.
      {QuantCodes::uint4, 5, 19, 96, 32, true, true},
      {QuantCodes::uint4, 11, 24, 256, 128, false, true},
      {QuantCodes::int8, 7, 17, 192, 64, true, true},
      {QuantCodes::int8, 9, 12, 128, 128, false, false},
  };
  bool ran = false;
  for (const Case &c : cases) {
    RandomWeight w(c, 11);
    // AVX2 multiplies the tiles packed once at load.
    PackedQuant packed;
    if (isa == CpuIsa::avx2 && packsForAvx2(w.view)) {
      packed = packForAvx2(w.view);
      w.view.packed = &packed;
    }
    // VNNI takes decode rows only (more are dequantized).
    if (!int8GemvApplies(isa, w.view) || (isa == CpuIsa::avx512 && c.m > 4))
      continue;
    ran = true;
    std::vector<float> x = randomVector(c.m * c.k, 12),
                       bias = randomVector(c.n, 13);
    std::vector<double> rounded = roundActivations(x);
    const int64_t ldy = c.n + 2;
    std::vector<float> y(c.m * ldy, -7.0f);
    // In two calls, as two threads split the rows: the second starts
    // inside a tile of 8.
    const int64_t split = c.n / 3;
    int8Linear(isa, x, w.view, 0, split, bias.data(), y.data(), c.m, ldy);
    int8Linear(isa, x, w.view, split, c.n, bias.data(), y.data() + split, c.m,
               ldy);
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double expected = bias[j], exact = bias[j], magnitude = 1.0;
        for (int64_t l = 0; l < c.k; ++l) {
          double weight = w.values[j * c.k + l];
          expected += rounded[i * c.k + l] * weight;
          exact += double(x[i * c.k + l]) * weight;
          magnitude += std::abs(x[i * c.k + l] * weight);
        }
        EXPECT_NEAR(y[i * ldy + j], expected, 1e-5 * magnitude)
            << "codes " << int(c.codes) << " m=" << c.m << " k=" << c.k
            << " group=" << c.group << " row " << i << " output " << j;
        // Rounding x to int8 moves each product by at most 1/254 of it.
        EXPECT_NEAR(y[i * ldy + j], exact, magnitude / 254.0);
      }
      for (int64_t j = c.n; j < ldy; ++j)
        EXPECT_EQ(y[i * ldy + j], -7.0f) << "wrote past row " << i;
    }
  }
  return ran;
}

TEST(QuantLinear, Int8ActivationPathMatchesItsDefinitionVnni) {
  if (!int8PathMatchesItsDefinition(CpuIsa::avx512))
    GTEST_SKIP() << "this CPU has no AVX-512 VNNI (with BW and VL)";
}

TEST(QuantLinear, Int8ActivationPathMatchesItsDefinitionAvx2) {
  if (!int8PathMatchesItsDefinition(CpuIsa::avx2))
    GTEST_SKIP() << "this CPU has no AVX2 (with FMA and F16C)";
}

} // namespace

namespace {

TEST(Workspace, TakingMoreThanItHoldsStopsTheProcessNamingTheSizes) {
  OwnedWorkspace owned(256);
  Workspace work = owned.get();
  EXPECT_NE(work.take<float>(16), nullptr);
  EXPECT_DEATH(work.take<float>(1000), "a kernel asked 4000 bytes of a "
                                       "workspace with [0-9]+ left");
}

} // namespace
