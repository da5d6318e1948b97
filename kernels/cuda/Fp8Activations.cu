//===- Fp8Activations.cu - inputs of fp8 GEMMs on a GPU -------------------===//

#include "kernels/cuda/Fp8Activations.h"

#include "kernels/cuda/Storage.cuh"
#include "runtime/format/QuantLayout.h"

namespace llmc::kernels::cuda {

namespace {

constexpr int kScaleThreads = 1024;

/// One block: the tensor is an activation of one call (at most a few MB).
template <typename T>
__global__ void scaleKernel(const T *x, int64_t count, float fixed,
                            float *scale) {
  if (fixed > 0.0f) {
    if (threadIdx.x == 0)
      *scale = fixed;
    return;
  }
  float largest = 0.0f;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x)
    largest = fmaxf(largest, fabsf(load(x[i])));
  largest = blockReduce(largest, [](float a, float b) { return fmaxf(a, b); });
  if (threadIdx.x == 0)
    *scale = largest > 0.0f ? largest / 448.0f : 1.0f;
}

template <typename T>
__global__ void roundKernel(const T *x, int64_t count, const float *scale,
                            uint8_t *codes, T *rounded) {
  const float factor = *scale, inverse = 1.0f / factor;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    uint8_t code = format::floatToE4m3(load(x[i]) * inverse);
    if (codes)
      codes[i] = code;
    if (rounded)
      rounded[i] = store<T>(format::fp8ToFloat(code, true) * factor);
  }
}

template <typename T>
__global__ void scaleProductKernel(const float *product, const float *rowScales,
                                   const T *bias, T *y, int64_t m, int64_t n) {
  int64_t count = m * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i % n;
    y[i] = store<T>(product[i] * rowScales[r] + (bias ? load(bias[r]) : 0.0f));
  }
}

} // namespace

cudaError_t fp8ActivationScale(Storage type, const void *x, int64_t count,
                               float fixed, float *scale, cudaStream_t stream) {
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    scaleKernel<<<1, kScaleThreads, 0, stream>>>(static_cast<const T *>(x),
                                                 count, fixed, scale);
    return cudaGetLastError();
  });
}

cudaError_t roundToE4m3(Storage type, const void *x, int64_t count,
                        const float *scale, uint8_t *codes, void *rounded,
                        cudaStream_t stream) {
  if (count == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    roundKernel<<<gridFor(count, 256), 256, 0, stream>>>(
        static_cast<const T *>(x), count, scale, codes,
        static_cast<T *>(rounded));
    return cudaGetLastError();
  });
}

cudaError_t scaleFp8Product(Storage type, const float *product,
                            const float *rowScales, const void *bias, void *y,
                            int64_t m, int64_t n, cudaStream_t stream) {
  if (m * n == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    scaleProductKernel<<<gridFor(m * n, 256), 256, 0, stream>>>(
        product, rowScales, static_cast<const T *>(bias), static_cast<T *>(y),
        m, n);
    return cudaGetLastError();
  });
}

} // namespace llmc::kernels::cuda
