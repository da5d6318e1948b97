//===- Sampling.cu - what the sampler needs of each row of logits ---------===//

#include "kernels/cuda/Sampling.h"

#include "kernels/cuda/Storage.cuh"

#include <cfloat>

namespace llmc::kernels::cuda {

namespace {

constexpr int kThreads = 1024;

template <typename T>
__global__ void candidatesKernel(const T *logits, int64_t vocab, int64_t k,
                                 int64_t capacity, float *values, int64_t *ids,
                                 int64_t *counts) {
  __shared__ unsigned long long found;
  const T *row = logits + blockIdx.x * vocab;
  float high = -FLT_MAX, low = FLT_MAX;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = load(row[i]);
    high = fmaxf(high, v);
    low = fminf(low, v);
  }
  high = blockReduce(high, [](float a, float b) { return fmaxf(a, b); });
  low = blockReduce(low, [](float a, float b) { return fminf(a, b); });
  // At least k tokens are >= low throughout; fewer than k are >= high
  // unless high is the maximum itself.
  for (int step = 0; step < 48; ++step) {
    float middle = low + (high - low) * 0.5f;
    if (!(middle > low && middle < high))
      break;
    float count = 0.0f;
    for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x)
      count += load(row[i]) >= middle ? 1.0f : 0.0f;
    count = blockReduce(count, Plus());
    if (count >= static_cast<float>(k))
      low = middle;
    else
      high = middle;
  }
  if (threadIdx.x == 0)
    found = 0;
  __syncthreads();
  float *rowValues = values + blockIdx.x * capacity;
  int64_t *rowIds = ids + blockIdx.x * capacity;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = load(row[i]);
    if (v >= low) {
      unsigned long long at = atomicAdd(&found, 1ull);
      if (at < static_cast<unsigned long long>(capacity)) {
        rowValues[at] = v;
        rowIds[at] = i;
      }
    }
  }
  __syncthreads();
  if (threadIdx.x == 0)
    counts[blockIdx.x] = static_cast<int64_t>(found);
}

} // namespace

cudaError_t topCandidates(Storage type, const void *logits, int64_t rows,
                          int64_t vocab, int64_t k, int64_t capacity,
                          float *values, int64_t *ids, int64_t *counts,
                          cudaStream_t stream) {
  if (rows == 0)
    return cudaSuccess;
  if (k < 1 || capacity < k)
    return cudaErrorInvalidValue;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    candidatesKernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        static_cast<const T *>(logits), vocab, k, capacity, values, ids,
        counts);
    return cudaGetLastError();
  });
}

} // namespace llmc::kernels::cuda
