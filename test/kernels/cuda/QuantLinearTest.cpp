//===- QuantLinearTest.cpp - kernels/cuda quantized linears vs the CPU ----===//
//
// Label `gpu`: the weight-only GEMV and the dequantization on random
// weights of every code format, against kernels/cpu's dequantizeRows and
// a plain product; the fp8 and int8 activations' kernels against the
// CPU's rounding. Skipped without a device.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/QuantLinear.h"
#include "kernels/cuda/DeviceProbe.h"
#include "kernels/cuda/QuantActivations.h"
#include "kernels/cuda/QuantLinear.h"
#include "runtime/format/Float16.h"
#include "test/kernels/RandomData.h"
#include "test/kernels/cuda/CudaTest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kc = llmc::kernels::cuda;
using llmc::format::QuantCodes;
using llmc::test::DeviceVector;
using llmc::test::randomVector;

namespace {

class CudaQuantActivations : public llmc::test::CudaTest {};

class CudaQuantLinear : public CudaQuantActivations,
                        public ::testing::WithParamInterface<QuantCodes> {};

/// The dequantization and the GEMV of a random [100, k] weight against the
/// CPU's dequantization and a plain product.
void checkAgainstTheCpu(QuantCodes codes, int64_t k, int64_t group) {
  SCOPED_TRACE("k " + std::to_string(k) + ", group " + std::to_string(group));
  const int64_t n = 100, groups = k / group;
  const bool zeros = codes == QuantCodes::int8 || codes == QuantCodes::uint4;
  llmc::format::QuantSectionLayout layout =
      llmc::format::quantSectionLayout(codes, n, k, group, true, zeros);
  std::vector<uint8_t> section(layout.totalBytes);
  std::mt19937 engine(7);
  for (int64_t i = 0; i < layout.scalesOffset; ++i)
    section[i] = static_cast<uint8_t>(engine() & 0x77); // no fp8 NaNs
  for (int64_t g = 0; g < n * groups; ++g) {
    uint16_t scale = llmc::format::floatToHalf(0.01f + 0.001f * (g % 7));
    std::memcpy(section.data() + layout.scalesOffset + 2 * g, &scale, 2);
    if (zeros)
      section[layout.zerosOffset + g] = static_cast<uint8_t>(g % 9);
  }
  llmc::kernels::QuantWeight cpu;
  cpu.codes = codes;
  cpu.n = n;
  cpu.k = k;
  cpu.group = group;
  cpu.data = section.data();
  cpu.scales = section.data() + layout.scalesOffset;
  cpu.halfScales = true;
  cpu.zeros = zeros ? section.data() + layout.zerosOffset : nullptr;
  std::vector<float> dense(n * k);
  llmc::kernels::dequantizeRows(cpu, 0, n, dense.data());

  DeviceVector<uint8_t> device(section);
  const uint8_t *base = device.get();
  kc::QuantMatrix gpu{codes, n,
                      k,     group,
                      base,  base + layout.scalesOffset,
                      true,  zeros ? base + layout.zerosOffset : nullptr};
  // Outputs start as NaN: a kernel that writes nothing fails.
  DeviceVector<float> deq(std::vector<float>(dense.size(), NAN));
  ASSERT_EQ(kc::dequantize(kc::Storage::f32, gpu, deq.get(), nullptr),
            cudaSuccess);
  EXPECT_EQ(deq.host(), dense);

  for (int64_t m : {int64_t(1), int64_t(3), kc::kMaxGemvRows}) {
    std::vector<float> x = llmc::test::randomVector(m * k, 8),
                       bias = llmc::test::randomVector(n, 9);
    std::vector<float> want(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t r = 0; r < n; ++r) {
        double sum = bias[r];
        for (int64_t l = 0; l < k; ++l)
          sum += double(x[i * k + l]) * dense[r * k + l];
        want[i * n + r] = static_cast<float>(sum);
      }
    DeviceVector<float> dx(x), db(bias),
        dy(std::vector<float>(want.size(), NAN));
    ASSERT_EQ(kc::quantGemv(kc::Storage::f32, gpu, dx.get(), db.get(), dy.get(),
                            m, nullptr),
              cudaSuccess);
    std::vector<float> got = dy.host();
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-4f * (1 + std::fabs(want[i])))
          << "m " << m << " at " << i;
  }
}

/// 16-byte blocks of codes (k and the group multiples of 16); and for the
/// byte codes a k that is not, read byte by byte.
TEST_P(CudaQuantLinear, GemvAndDequantizationMatchTheCpu) {
  checkAgainstTheCpu(GetParam(), 256, 64);
  if (GetParam() != QuantCodes::uint4)
    checkAgainstTheCpu(GetParam(), 200, 200);
}

std::string codesName(const ::testing::TestParamInfo<QuantCodes> &info) {
  switch (info.param) {
  case QuantCodes::int8:
    return "int8";
  case QuantCodes::uint4:
    return "uint4";
  case QuantCodes::fp8e4m3:
    return "fp8e4m3";
  case QuantCodes::fp8e5m2:
    return "fp8e5m2";
  }
  return "unknown";
}

/// fp8 activations: the scale (static, or the largest magnitude / 448),
/// the E4M3 codes and the rounded values are the CPU's exactly; the fp8
/// GEMM's epilogue applies the weight's row scales and the bias.
TEST_F(CudaQuantActivations, Fp8ActivationsRoundAsTheCpuDoes) {
  std::vector<float> x = randomVector(3000, 31);
  for (float &v : x)
    v *= 5.0f;
  x[1234] = -17.5f; // the largest magnitude
  DeviceVector<float> dx(x), scale(1), rounded(x.size());
  DeviceVector<uint8_t> codes(x.size());
  for (float fixed : {0.0f, 0.02f}) {
    ASSERT_EQ(kc::fp8ActivationScale(kc::Storage::f32, dx.get(), x.size(),
                                     fixed, scale.get(), nullptr),
              cudaSuccess);
    float want = fixed > 0.0f ? fixed : 17.5f / 448.0f;
    EXPECT_EQ(scale.host()[0], want);
    ASSERT_EQ(kc::roundToE4m3(kc::Storage::f32, dx.get(), x.size(), scale.get(),
                              codes.get(), rounded.get(), nullptr),
              cudaSuccess);
    std::vector<float> expected(x.size());
    llmc::kernels::roundToE4m3(x.data(), x.size(), want, expected.data());
    EXPECT_EQ(rounded.host(), expected) << "scale " << want;
    std::vector<uint8_t> got = codes.host();
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(got[i], llmc::format::floatToE4m3(x[i] * (1.0f / want))) << i;
  }
  DeviceVector<float> zeros(std::vector<float>(64, 0.0f));
  ASSERT_EQ(kc::fp8ActivationScale(kc::Storage::f32, zeros.get(), 64, 0.0f,
                                   scale.get(), nullptr),
            cudaSuccess);
  EXPECT_EQ(scale.host()[0], 1.0f);

  const int64_t m = 3, n = 40;
  std::vector<float> product = randomVector(m * n, 32),
                     rowScales = randomVector(n, 33),
                     bias = randomVector(n, 34);
  DeviceVector<float> dproduct(product), drowScales(rowScales), dbias(bias),
      y(m * n);
  ASSERT_EQ(kc::scaleFp8Product(kc::Storage::f32, dproduct.get(),
                                drowScales.get(), dbias.get(), y.get(), m, n,
                                nullptr),
            cudaSuccess);
  std::vector<float> got = y.host();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < n; ++r)
      EXPECT_FLOAT_EQ(got[i * n + r],
                      product[i * n + r] * rowScales[r] + bias[r]);
}

/// int8 activations (W8A8): per-row scales, codes and rounded values are
/// the CPU's exactly; the int8 GEMM's epilogue applies both scales.
TEST_F(CudaQuantActivations, Int8ActivationsRoundAsTheCpuDoes) {
  const int64_t rows = 6, k = 700;
  std::vector<float> x = randomVector(rows * k, 35);
  for (int64_t l = 0; l < k; ++l)
    x[2 * k + l] = 0.0f; // a row of zeros: scale 1
  DeviceVector<float> dx(x), scales(rows), rounded(x.size());
  DeviceVector<int8_t> codes(x.size());
  ASSERT_EQ(kc::int8RowScales(kc::Storage::f32, dx.get(), rows, k, scales.get(),
                              nullptr),
            cudaSuccess);
  ASSERT_EQ(kc::roundToInt8Rows(kc::Storage::f32, dx.get(), rows, k,
                                scales.get(), codes.get(), rounded.get(),
                                nullptr),
            cudaSuccess);
  std::vector<float> expected(x.size());
  llmc::kernels::roundToInt8Rows(x.data(), rows, k, expected.data());
  EXPECT_EQ(rounded.host(), expected);
  std::vector<float> gotScales = scales.host();
  std::vector<int8_t> gotCodes = codes.host();
  for (int64_t r = 0; r < rows; ++r) {
    float largest = 0.0f;
    for (int64_t l = 0; l < k; ++l)
      largest = std::max(largest, std::fabs(x[r * k + l]));
    float want = largest > 0.0f ? largest / 127.0f : 1.0f;
    ASSERT_EQ(gotScales[r], want) << "row " << r;
    for (int64_t l = 0; l < k; ++l)
      ASSERT_EQ(gotCodes[r * k + l],
                llmc::format::floatToInt8(x[r * k + l] * (1.0f / want)))
          << r << ", " << l;
  }

  const int64_t m = 3, n = 40;
  std::vector<int32_t> product(m * n);
  for (size_t i = 0; i < product.size(); ++i)
    product[i] = static_cast<int32_t>(i * 977 % 40000) - 20000;
  std::vector<float> xScales = {0.5f, 0.25f, 2.0f},
                     rowScales = randomVector(n, 36),
                     bias = randomVector(n, 37);
  DeviceVector<int32_t> dproduct(product);
  DeviceVector<float> dxScales(xScales), drowScales(rowScales), dbias(bias),
      y(m * n);
  ASSERT_EQ(kc::scaleInt8Product(kc::Storage::f32, dproduct.get(),
                                 dxScales.get(), drowScales.get(), dbias.get(),
                                 y.get(), m, n, nullptr),
            cudaSuccess);
  std::vector<float> got = y.host();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < n; ++r)
      EXPECT_FLOAT_EQ(got[i * n + r],
                      float(product[i * n + r]) * xScales[i] * rowScales[r] +
                          bias[r]);
}

INSTANTIATE_TEST_SUITE_P(Codes, CudaQuantLinear,
                         ::testing::Values(QuantCodes::int8, QuantCodes::uint4,
                                           QuantCodes::fp8e4m3,
                                           QuantCodes::fp8e5m2),
                         codesName);

} // namespace
