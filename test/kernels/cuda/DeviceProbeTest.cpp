//===- DeviceProbeTest.cpp - CUDA device discovery and a real launch ------===//
//
// Label `gpu`: without a device every test here is skipped, never passed.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/DeviceProbe.h"
#include "test/kernels/cuda/CudaTest.h"

#include <gtest/gtest.h>

using namespace llmc::kernels::cuda;

class CudaDevice : public llmc::test::CudaTest {};

TEST_F(CudaDevice, ReportsSaneProperties) {
  DeviceInfo info;
  std::string error;
  ASSERT_TRUE(queryDevice(0, info, error)) << error;
  EXPECT_FALSE(info.name.empty());
  EXPECT_GE(info.computeMajor, 7);
  EXPECT_GT(info.multiprocessors, 0);
  EXPECT_GT(info.globalMemoryBytes, std::size_t(1) << 30);
}

TEST_F(CudaDevice, LaunchesKernelsFromThisBinary) {
  std::string error;
  EXPECT_TRUE(probeKernelLaunch(0, error)) << error;
}

TEST_F(CudaDevice, RejectsAMissingDevice) {
  DeviceInfo info;
  std::string error;
  EXPECT_FALSE(queryDevice(countDevices(), info, error));
  EXPECT_NE(error.find("cudaGetDeviceProperties"), std::string::npos) << error;
}
