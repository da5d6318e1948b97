//===- Storage.cuh - f32/f16/bf16 storage with f32 arithmetic -------------===//
//
// What the kernels of kernels/cuda share: loading an element of any
// storage type as f32, storing f32 back, calling a template with the CUDA
// type of a Storage, and the grid of a grid-stride loop.
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

/// Blocks of `threads` covering `count` items, capped (the kernels stride).
inline dim3 gridFor(int64_t count, int threads) {
  int64_t blocks = (count + threads - 1) / threads;
  return dim3(static_cast<unsigned>(
      blocks < 1 ? 1 : (blocks > 65535 * 16 ? 65535 * 16 : blocks)));
}

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_STORAGE_CUH
