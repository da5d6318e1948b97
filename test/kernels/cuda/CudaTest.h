//===- CudaTest.h - what the gpu tests share
//-------------------------------===//
//
// The fixture every gpu test derives from (skipped, never passed, without
// a usable device) and device copies of host vectors.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TEST_KERNELS_CUDA_CUDATEST_H
#define LLMC_TEST_KERNELS_CUDA_CUDATEST_H

#include "kernels/cuda/DeviceProbe.h"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmc::test {

/// Skips the test where no CUDA device is usable (saying why); else makes
/// device 0 current. A derived SetUp calls this first and returns when
/// IsSkipped().
class CudaTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string why;
    if (kernels::cuda::countDevices(&why) == 0)
      GTEST_SKIP() << "no usable CUDA device: " << why;
    ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  }
};

/// A device copy of a host vector.
template <typename T> class DeviceVector {
public:
  explicit DeviceVector(const std::vector<T> &host) : size_(host.size()) {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void **>(&data_), bytes()),
              cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data_, host.data(), bytes(), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  explicit DeviceVector(size_t size) : DeviceVector(std::vector<T>(size)) {}
  ~DeviceVector() { cudaFree(data_); }
  T *get() const { return data_; }
  std::vector<T> host() const {
    std::vector<T> out(size_);
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(out.data(), data_, bytes(), cudaMemcpyDeviceToHost),
              cudaSuccess);
    return out;
  }

private:
  size_t bytes() const { return size_ * sizeof(T); }
  T *data_ = nullptr;
  size_t size_;
};

} // namespace llmc::test

#endif // LLMC_TEST_KERNELS_CUDA_CUDATEST_H
