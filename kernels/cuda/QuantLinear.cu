//===- QuantLinear.cu - weight-only quantized linears on a GPU ------------===//

#include "kernels/cuda/QuantLinear.h"

#include "kernels/cuda/Storage.cuh"

namespace llmc::kernels::cuda {

namespace {

__device__ __forceinline__ float groupScale(const QuantMatrix &w, int64_t at) {
  return w.halfScales ? __half2float(static_cast<const __half *>(w.scales)[at])
                      : static_cast<const float *>(w.scales)[at];
}

__device__ __forceinline__ float groupZero(const QuantMatrix &w, int64_t at) {
  if (!w.zeros)
    return 0.0f;
  return w.codes == format::QuantCodes::int8
             ? static_cast<float>(static_cast<int8_t>(w.zeros[at]))
             : static_cast<float>(w.zeros[at]);
}

/// Weight l of row r, dequantized.
__device__ __forceinline__ float weight(const QuantMatrix &w, int64_t r,
                                        int64_t l) {
  const uint8_t *row = w.data + r * format::quantRowBytes(w.codes, w.k);
  int64_t at = r * (w.k / w.group) + l / w.group;
  return (format::codeValue(w.codes, row, l) - groupZero(w, at)) *
         groupScale(w, at);
}

/// One warp per weight row: its lanes walk the row, each dequantizing a
/// weight once for all m inputs.
template <typename T>
__global__ void gemvKernel(QuantMatrix w, const T *x, const T *bias, T *y,
                           int64_t m) {
  int lane = threadIdx.x % 32;
  int64_t r = blockIdx.x * int64_t(blockDim.x / 32) + threadIdx.x / 32;
  if (r >= w.n)
    return;
  float acc[kMaxGemvRows] = {};
  for (int64_t l = lane; l < w.k; l += 32) {
    float value = weight(w, r, l);
    for (int64_t i = 0; i < m; ++i)
      acc[i] += value * load(x[i * w.k + l]);
  }
  for (int64_t i = 0; i < m; ++i) {
    float sum = acc[i];
    for (int offset = 16; offset > 0; offset /= 2)
      sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    if (lane == 0)
      y[i * w.n + r] = store<T>(sum + (bias ? load(bias[r]) : 0.0f));
  }
}

template <typename T> __global__ void dequantizeKernel(QuantMatrix w, T *out) {
  int64_t count = w.n * w.k;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = store<T>(weight(w, i / w.k, i % w.k));
}

} // namespace

cudaError_t quantGemv(Storage type, const QuantMatrix &w, const void *x,
                      const void *bias, void *y, int64_t m,
                      cudaStream_t stream) {
  if (m > kMaxGemvRows)
    return cudaErrorInvalidValue;
  if (m == 0 || w.n == 0)
    return cudaSuccess;
  constexpr int kWarps = 4;
  unsigned blocks = static_cast<unsigned>((w.n + kWarps - 1) / kWarps);
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    gemvKernel<<<blocks, kWarps * 32, 0, stream>>>(w, static_cast<const T *>(x),
                                                   static_cast<const T *>(bias),
                                                   static_cast<T *>(y), m);
    return cudaGetLastError();
  });
}

cudaError_t dequantize(Storage type, const QuantMatrix &w, void *out,
                       cudaStream_t stream) {
  if (w.n * w.k == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    dequantizeKernel<<<gridFor(w.n * w.k, 256), 256, 0, stream>>>(
        w, static_cast<T *>(out));
    return cudaGetLastError();
  });
}

} // namespace llmc::kernels::cuda
