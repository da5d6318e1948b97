//===- DeviceVector.h - device copies of host vectors for the gpu tests --===//

#ifndef LLMC_TEST_KERNELS_CUDA_DEVICEVECTOR_H
#define LLMC_TEST_KERNELS_CUDA_DEVICEVECTOR_H

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <vector>

namespace llmc::test {

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

#endif // LLMC_TEST_KERNELS_CUDA_DEVICEVECTOR_H
