//===- QuantActivations.cu - inputs of fp8 and int8 GEMMs on a GPU --------===//

#include "kernels/cuda/QuantActivations.h"

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

/// One block per row.
template <typename T>
__global__ void rowScalesKernel(const T *x, int64_t k, float *scales) {
  const T *row = x + blockIdx.x * k;
  float largest = 0.0f;
  for (int64_t l = threadIdx.x; l < k; l += blockDim.x)
    largest = fmaxf(largest, fabsf(load(row[l])));
  largest = blockReduce(largest, [](float a, float b) { return fmaxf(a, b); });
  if (threadIdx.x == 0)
    scales[blockIdx.x] = largest > 0.0f ? largest / 127.0f : 1.0f;
}

template <typename T>
__global__ void roundInt8Kernel(const T *x, int64_t count, int64_t k,
                                const float *scales, int8_t *codes,
                                T *rounded) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float scale = scales[i / k], inverse = 1.0f / scale;
    int8_t code = format::floatToInt8(load(x[i]) * inverse);
    if (codes)
      codes[i] = code;
    if (rounded)
      rounded[i] = store<T>(static_cast<float>(code) * scale);
  }
}

template <typename T>
__global__ void scaleInt8ProductKernel(const int32_t *product,
                                       const float *xScales,
                                       const float *rowScales, const T *bias,
                                       T *y, int64_t m, int64_t n) {
  int64_t count = m * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i % n;
    y[i] = store<T>(static_cast<float>(product[i]) * xScales[i / n] *
                        rowScales[r] +
                    (bias ? load(bias[r]) : 0.0f));
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

cudaError_t int8RowScales(Storage type, const void *x, int64_t rows, int64_t k,
                          float *scales, cudaStream_t stream) {
  if (rows == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    rowScalesKernel<<<static_cast<unsigned>(rows), 256, 0, stream>>>(
        static_cast<const T *>(x), k, scales);
    return cudaGetLastError();
  });
}

cudaError_t roundToInt8Rows(Storage type, const void *x, int64_t rows,
                            int64_t k, const float *scales, int8_t *codes,
                            void *rounded, cudaStream_t stream) {
  int64_t count = rows * k;
  if (count == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    roundInt8Kernel<<<gridFor(count, 256), 256, 0, stream>>>(
        static_cast<const T *>(x), count, k, scales, codes,
        static_cast<T *>(rounded));
    return cudaGetLastError();
  });
}

cudaError_t scaleInt8Product(Storage type, const int32_t *product,
                             const float *xScales, const float *rowScales,
                             const void *bias, void *y, int64_t m, int64_t n,
                             cudaStream_t stream) {
  if (m * n == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    scaleInt8ProductKernel<<<gridFor(m * n, 256), 256, 0, stream>>>(
        product, xScales, rowScales, static_cast<const T *>(bias),
        static_cast<T *>(y), m, n);
    return cudaGetLastError();
  });
}

} // namespace llmc::kernels::cuda
