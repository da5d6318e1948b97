//===- Storage.cuh - f32/f16/bf16 storage with f32 arithmetic -------------===//
//
// What the kernels of kernels/cuda share: loading an element of any
// storage type as f32, storing f32 back, calling a template with the CUDA
// type of a Storage, the grid of a grid-stride loop, and reductions over a
// warp and over a block.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_STORAGE_CUH
#define LLMC_KERNELS_CUDA_STORAGE_CUH

#include "kernels/cuda/Transformer.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace llmc::kernels::cuda {

__device__ __forceinline__ float load(float v) { return v; }
__device__ __forceinline__ float load(__half v) { return __half2float(v); }
__device__ __forceinline__ float load(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T> __device__ __forceinline__ T store(float v);
template <> __device__ __forceinline__ float store<float>(float v) { return v; }
template <> __device__ __forceinline__ __half store<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 store<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

/// Calls body(T{}) with T the CUDA type of `type`.
template <typename Body> cudaError_t dispatch(Storage type, Body &&body) {
  switch (type) {
  case Storage::f32:
    return body(float{});
  case Storage::f16:
    return body(__half{});
  case Storage::bf16:
    return body(__nv_bfloat16{});
  }
  return cudaErrorInvalidValue;
}

constexpr int kWarp = 32;

/// `v` combined with `op` over the warp; every lane gets the result.
template <typename Op>
__device__ __forceinline__ float warpReduce(float v, Op op) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

struct Plus {
  __device__ float operator()(float a, float b) const { return a + b; }
};

__device__ __forceinline__ float warpSum(float v) {
  return warpReduce(v, Plus());
}

/// `v` combined with `op` over the block (blockDim.x a multiple of 32, at
/// most 1024); every thread gets the result. Every thread must call it.
template <typename Op> __device__ float blockReduce(float v, Op op) {
  __shared__ float partial[kWarp];
  v = warpReduce(v, op);
  __syncthreads(); // partial may still be read by a previous call
  if (threadIdx.x % kWarp == 0)
    partial[threadIdx.x / kWarp] = v;
  __syncthreads();
  v = partial[0];
  for (int w = 1; w < static_cast<int>(blockDim.x) / kWarp; ++w)
    v = op(v, partial[w]);
  return v;
}

/// Blocks of `threads` covering `count` items, capped (the kernels stride).
inline dim3 gridFor(int64_t count, int threads) {
  int64_t blocks = (count + threads - 1) / threads;
  return dim3(static_cast<unsigned>(
      blocks < 1 ? 1 : (blocks > 65535 * 16 ? 65535 * 16 : blocks)));
}

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_STORAGE_CUH
