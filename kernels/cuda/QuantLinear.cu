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

/// The GEMVs' end: y[i, r] = the warp's sum of acc[i] (+ bias[r]).
template <typename T>
__device__ void storeRows(const float (&acc)[kMaxGemvRows], int64_t m, int lane,
                          int64_t r, int64_t n, const T *bias, T *y) {
  for (int64_t i = 0; i < m; ++i) {
    float sum = warpSum(acc[i]);
    if (lane == 0)
      y[i * n + r] = store<T>(sum + (bias ? load(bias[r]) : 0.0f));
  }
}

/// The calling warp's weight row and lane (one warp per row); false past
/// the last row.
__device__ __forceinline__ bool warpRow(const QuantMatrix &w, int &lane,
                                        int64_t &r) {
  lane = threadIdx.x % 32;
  r = blockIdx.x * int64_t(blockDim.x / 32) + threadIdx.x / 32;
  return r < w.n;
}

/// Byte codes (int8, fp8) of any k: the lanes walk the row a code at a
/// time, each dequantizing a weight once for all m inputs.
template <typename T>
__global__ void gemvKernel(QuantMatrix w, const T *x, const T *bias, T *y,
                           int64_t m) {
  int lane;
  int64_t r;
  if (!warpRow(w, lane, r))
    return;
  float acc[kMaxGemvRows] = {};
  for (int64_t l = lane; l < w.k; l += 32) {
    float value = weight(w, r, l);
    for (int64_t i = 0; i < m; ++i)
      acc[i] += value * load(x[i * w.k + l]);
  }
  storeRows(acc, m, lane, r, w.n, bias, y);
}

/// 16-byte blocks of codes, each within one group: uint4 (32 codes, whose
/// k and group are multiples of 32) or, where k and the group are
/// multiples of 16, byte codes (16). Each lane loads a whole block and
/// dequantizes it with one scale and zero point; the warp reads 512
/// contiguous bytes per step.
template <typename T, bool Nibbles>
__global__ void gemvBlocksKernel(QuantMatrix w, const T *x, const T *bias, T *y,
                                 int64_t m) {
  constexpr int kCodes = Nibbles ? 32 : 16;
  int lane;
  int64_t r;
  if (!warpRow(w, lane, r))
    return;
  const uint4 *blocks = reinterpret_cast<const uint4 *>(
      w.data + r * format::quantRowBytes(w.codes, w.k));
  const int64_t count = w.k / kCodes, groups = w.k / w.group;
  float acc[kMaxGemvRows] = {};
  for (int64_t b = lane; b < count; b += 32) {
    uint4 packed = blocks[b];
    const uint8_t *bytes = reinterpret_cast<const uint8_t *>(&packed);
    int64_t at = r * groups + b * kCodes / w.group;
    float scale = groupScale(w, at), zero = groupZero(w, at);
    float weights[kCodes];
    for (int j = 0; j < 16; ++j) {
      if constexpr (Nibbles) {
        weights[j] = (static_cast<float>(bytes[j] & 0x0f) - zero) * scale;
        weights[16 + j] = (static_cast<float>(bytes[j] >> 4) - zero) * scale;
      } else {
        weights[j] = (format::codeValue(w.codes, bytes, j) - zero) * scale;
      }
    }
    for (int64_t i = 0; i < m; ++i) {
      const T *xs = x + i * w.k + b * kCodes;
      float sum = 0.0f;
      for (int j = 0; j < kCodes; ++j)
        sum += weights[j] * load(xs[j]);
      acc[i] += sum;
    }
  }
  storeRows(acc, m, lane, r, w.n, bias, y);
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
    auto launch = [&](auto kernel) {
      kernel<<<blocks, kWarps * 32, 0, stream>>>(w, static_cast<const T *>(x),
                                                 static_cast<const T *>(bias),
                                                 static_cast<T *>(y), m);
    };
    // uint4's k and group are multiples of 32 (QuantLayout.h); sections
    // start 64-byte aligned.
    bool blocksOf16 = w.k % 16 == 0 && w.group % 16 == 0 &&
                      reinterpret_cast<uintptr_t>(w.data) % 16 == 0;
    if (w.codes == format::QuantCodes::uint4)
      launch(gemvBlocksKernel<T, true>);
    else if (blocksOf16)
      launch(gemvBlocksKernel<T, false>);
    else
      launch(gemvKernel<T>);
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
