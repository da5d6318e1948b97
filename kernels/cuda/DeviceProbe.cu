//===- DeviceProbe.cu - can this process run llmc's CUDA code? ------------===//

#include "kernels/cuda/DeviceProbe.h"

#include <cuda_runtime.h>

namespace llmc::kernels::cuda {

/// Also clears the runtime's last error, so that a failed query is reported
/// here and not again by the next kernel launch's cudaGetLastError.
static std::string describeError(const char *what, cudaError_t status) {
  cudaGetLastError();
  return std::string(what) + ": " + cudaGetErrorName(status) + " (" +
         cudaGetErrorString(status) + ")";
}

int countDevices(std::string *why) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (why) {
      *why = describeError("cudaGetDeviceCount", status);
      if (status == cudaErrorInsufficientDriver)
        *why = "no NVIDIA driver is loaded, or it is older than CUDA " +
               std::to_string(CUDART_VERSION / 1000) + "." +
               std::to_string(CUDART_VERSION % 1000 / 10) + " needs (" + *why +
               ")";
    }
    return 0;
  }
  if (count == 0 && why)
    *why = "no CUDA device is visible";
  return count;
}

bool queryDevice(int ordinal, DeviceInfo &info, std::string &error) {
  cudaDeviceProp props;
  cudaError_t status = cudaGetDeviceProperties(&props, ordinal);
  if (status != cudaSuccess) {
    error = describeError("cudaGetDeviceProperties", status);
    return false;
  }
  info.name = props.name;
  info.computeMajor = props.major;
  info.computeMinor = props.minor;
  info.multiprocessors = props.multiProcessorCount;
  info.globalMemoryBytes = props.totalGlobalMem;
  return true;
}

// Each thread writes its global index, so a wrong launch shape or a missing
// kernel image shows up as wrong data or a launch error.
__global__ void writeIndices(int *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = i;
}

bool probeKernelLaunch(int ordinal, std::string &error) {
  constexpr int kCount = 1000;
  cudaError_t status = cudaSetDevice(ordinal);
  if (status != cudaSuccess) {
    error = describeError("cudaSetDevice", status);
    return false;
  }
  int *device = nullptr;
  if ((status = cudaMalloc(&device, kCount * sizeof(int))) != cudaSuccess) {
    error = describeError("cudaMalloc", status);
    return false;
  }
  writeIndices<<<(kCount + 255) / 256, 256>>>(device, kCount);
  int host[kCount] = {};
  status = cudaGetLastError();
  if (status == cudaSuccess)
    status = cudaMemcpy(host, device, sizeof(host), cudaMemcpyDeviceToHost);
  cudaFree(device);
  if (status != cudaSuccess) {
    error = describeError("probe kernel", status);
    return false;
  }
  for (int i = 0; i < kCount; ++i) {
    if (host[i] != i) {
      error = "probe kernel wrote " + std::to_string(host[i]) + " at index " +
              std::to_string(i);
      return false;
    }
  }
  return true;
}

} // namespace llmc::kernels::cuda
