//===- Sampling.cu - what the sampler needs of each row of logits ---------===//

#include "kernels/cuda/Sampling.h"

#include "kernels/cuda/Storage.cuh"

#include <cfloat>

namespace llmc::kernels::cuda {

namespace {

constexpr int kThreads = 1024;

/// Σ exp((l - top) / temperature) over the row's logits l >= threshold.
template <typename T>
__device__ float weightAbove(const T *row, int64_t vocab, float threshold,
                             float top, float temperature) {
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = load(row[i]);
    if (v >= threshold)
      sum += expf((v - top) / temperature);
  }
  return blockReduce(sum, Plus());
}

/// One block per row. The threshold is found by bisection on the value:
/// at least k tokens (k > 0), or `mass` of the softmax (k == 0), lie at or
/// above `low` throughout, and not above `high` unless `high` is the
/// maximum itself.
template <typename T>
__global__ void candidatesKernel(const T *logits, int64_t vocab, int64_t k,
                                 float mass, float temperature,
                                 int64_t capacity, float *values, int64_t *ids,
                                 int64_t *counts, float *rests) {
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
  const float top = high;
  const float target =
      k > 0 ? static_cast<float>(k)
            : mass * weightAbove(row, vocab, low, top, temperature);
  for (int step = 0; step < 48; ++step) {
    float middle = low + (high - low) * 0.5f;
    if (!(middle > low && middle < high))
      break;
    float reached;
    if (k > 0) {
      float count = 0.0f;
      for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x)
        count += load(row[i]) >= middle ? 1.0f : 0.0f;
      reached = blockReduce(count, Plus());
    } else {
      reached = weightAbove(row, vocab, middle, top, temperature);
    }
    if (reached >= target)
      low = middle;
    else
      high = middle;
  }
  if (threadIdx.x == 0)
    found = 0;
  __syncthreads();
  float *rowValues = values + blockIdx.x * capacity;
  int64_t *rowIds = ids + blockIdx.x * capacity;
  float rest = 0.0f;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = load(row[i]);
    if (v >= low) {
      unsigned long long at = atomicAdd(&found, 1ull);
      if (at < static_cast<unsigned long long>(capacity)) {
        rowValues[at] = v;
        rowIds[at] = i;
      }
    } else if (k == 0) {
      rest += expf((v - top) / temperature);
    }
  }
  rest = blockReduce(rest, Plus());
  if (threadIdx.x == 0) {
    counts[blockIdx.x] = static_cast<int64_t>(found);
    rests[blockIdx.x] = rest;
  }
}

} // namespace

cudaError_t selectCandidates(Storage type, const void *logits, int64_t rows,
                             int64_t vocab, const CandidateRequest &request,
                             int64_t capacity, float *values, int64_t *ids,
                             int64_t *counts, float *rests,
                             cudaStream_t stream) {
  if (rows == 0)
    return cudaSuccess;
  bool byCount = request.k > 0 && capacity >= request.k;
  bool byMass = request.k == 0 && request.mass > 0.0f && request.mass <= 1.0f &&
                request.temperature > 0.0f;
  if (!byCount && !byMass)
    return cudaErrorInvalidValue;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    candidatesKernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        static_cast<const T *>(logits), vocab, request.k, request.mass,
        request.temperature, capacity, values, ids, counts, rests);
    return cudaGetLastError();
  });
}

} // namespace llmc::kernels::cuda
