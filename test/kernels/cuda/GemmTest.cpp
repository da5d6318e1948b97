//===- GemmTest.cpp - runtime/cuda's cuBLASLt calls against the CPU -------===//
//
// Label `gpu`: the float GEMM with a bias epilogue, the int8 GEMM of codes
// (exact int32 sums) and, on sm_89 and newer, the fp8 one (the input's
// scale from device memory), against plain products on the host. Skipped
// without a device; a device without cuBLASLt fails (llmc-run needs it).
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/Gemm.h"
#include "kernels/cuda/DeviceProbe.h"
#include "runtime/format/QuantLayout.h"
#include "test/kernels/RandomData.h"
#include "test/kernels/cuda/CudaTest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kc = llmc::kernels::cuda;
using llmc::runtime::Gemm;
using llmc::test::DeviceVector;
using llmc::test::randomVector;

namespace {

class CudaGemm : public llmc::test::CudaTest {
protected:
  void SetUp() override {
    CudaTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    kc::DeviceInfo info;
    std::string error;
    ASSERT_TRUE(kc::queryDevice(0, info, error)) << error;
    arch = info.computeMajor * 10 + info.computeMinor;
    auto opened = Gemm::open();
    ASSERT_TRUE(opened) << opened.status().message();
    gemm = std::move(*opened);
  }
  int arch = 0;
  std::unique_ptr<Gemm> gemm;
};

constexpr int64_t kM = 24, kN = 48, kK = 64;

TEST_F(CudaGemm, FloatWithBiasIsThePlainProduct) {
  std::vector<float> x = randomVector(kM * kK, 40),
                     w = randomVector(kN * kK, 41), bias = randomVector(kN, 42);
  DeviceVector<float> dx(x), dw(w), db(bias), dy(kM * kN);
  ASSERT_TRUE(gemm->linear(kc::Storage::f32, Gemm::Epilogue::bias, dx.get(),
                           dw.get(), db.get(), dy.get(), kM, kN, kK, nullptr));
  std::vector<float> got = dy.host();
  for (int64_t i = 0; i < kM; ++i)
    for (int64_t r = 0; r < kN; ++r) {
      double want = bias[r];
      for (int64_t l = 0; l < kK; ++l)
        want += double(x[i * kK + l]) * w[r * kK + l];
      EXPECT_NEAR(got[i * kN + r], want, 1e-4 * (1 + std::fabs(want)));
    }
}

TEST_F(CudaGemm, Int8CodesSumExactly) {
  ASSERT_TRUE(Gemm::codesFit(Gemm::Codes::int8, arch, kN, kK));
  std::mt19937 engine(43);
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<int8_t> x(kM * kK), w(kN * kK);
  for (int8_t &c : x)
    c = static_cast<int8_t>(code(engine));
  for (int8_t &c : w)
    c = static_cast<int8_t>(code(engine));
  DeviceVector<int8_t> dx(x), dw(w);
  DeviceVector<int32_t> dp(kM * kN);
  ASSERT_TRUE(
      gemm->int8Product(dx.get(), dw.get(), dp.get(), kM, kN, kK, nullptr));
  std::vector<int32_t> got = dp.host();
  for (int64_t i = 0; i < kM; ++i)
    for (int64_t r = 0; r < kN; ++r) {
      int32_t want = 0;
      for (int64_t l = 0; l < kK; ++l)
        want += int32_t(x[i * kK + l]) * w[r * kK + l];
      ASSERT_EQ(got[i * kN + r], want) << i << ", " << r;
    }
}

TEST_F(CudaGemm, Fp8CodesWithTheInputScale) {
  if (!Gemm::codesFit(Gemm::Codes::fp8, arch, kN, kK))
    GTEST_SKIP() << "sm_" << arch << " has no fp8 GEMM (sm_89 and newer)";
  std::mt19937 engine(44);
  std::vector<uint8_t> x(kM * kK), w(kN * kK);
  for (uint8_t &c : x)
    c = static_cast<uint8_t>(engine() & 0xf7); // no 0x7f/0xff NaNs
  for (uint8_t &c : w)
    c = static_cast<uint8_t>(engine() & 0xf7);
  const float scale = 0.375f;
  DeviceVector<uint8_t> dx(x), dw(w);
  DeviceVector<float> dscale(std::vector<float>{scale}), dp(kM * kN);
  ASSERT_TRUE(gemm->fp8Product(dx.get(), dscale.get(), dw.get(), dp.get(), kM,
                               kN, kK, nullptr));
  std::vector<float> got = dp.host();
  for (int64_t i = 0; i < kM; ++i)
    for (int64_t r = 0; r < kN; ++r) {
      double want = 0.0, magnitude = 0.0;
      for (int64_t l = 0; l < kK; ++l) {
        double term = double(llmc::format::fp8ToFloat(x[i * kK + l], true)) *
                      llmc::format::fp8ToFloat(w[r * kK + l], true);
        want += term;
        magnitude += std::fabs(term);
      }
      want *= scale;
      // Tensor cores sum fp8 products in partial sums of reduced
      // precision before promoting them to f32: 1e-3 of the magnitude.
      EXPECT_NEAR(got[i * kN + r], want, 1e-3 * scale * (1 + magnitude))
          << i << ", " << r;
    }
}

} // namespace
