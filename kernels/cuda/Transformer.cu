//===- Transformer.cu - the transformer kernels of the plan on a GPU ------===//

#include "kernels/cuda/Transformer.h"

#include "kernels/common/ElementwiseMath.h"
#include "kernels/cuda/AttentionKeys.cuh"
#include "kernels/cuda/PrefillAttention.h"
#include "kernels/cuda/Storage.cuh"

#include <cfloat>

namespace llmc::kernels::cuda {

namespace {

template <typename T>
__global__ void embeddingKernel(const T *table, const int64_t *ids,
                                int64_t count, int64_t vocab, int64_t dim,
                                T *out, unsigned *errors) {
  for (int64_t row = blockIdx.x; row < count; row += gridDim.x) {
    int64_t id = ids[row];
    bool valid = id >= 0 && id < vocab;
    if (!valid && threadIdx.x == 0)
      atomicOr(errors, kTokenOutOfRange);
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
      out[row * dim + i] = valid ? table[id * dim + i] : store<T>(0.0f);
  }
}

/// One block per row: the row (plus the residual) is read, reduced, then
/// normalized; `Layer` subtracts the mean and adds a bias.
template <typename T, bool Layer>
__global__ void normKernel(const T *x, const T *residual, const T *w,
                           const T *b, float eps, T *sum, T *y, int64_t dim) {
  int64_t row = blockIdx.x;
  const T *in = x + row * dim;
  const T *res = residual ? residual + row * dim : nullptr;
  T *total = sum ? sum + row * dim : nullptr;
  // The sum is stored in T and normalized as stored, as the CPU
  // normalizes the f32 sum it wrote.
  auto value = [&](int64_t i) {
    float v = load(in[i]) + (res ? load(res[i]) : 0.0f);
    return res ? load(store<T>(v)) : v;
  };
  float local = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    float v = value(i);
    if (total)
      total[i] = store<T>(v);
    local += Layer ? v : v * v;
  }
  float mean = 0.0f;
  if (Layer) {
    mean = blockReduce(local, Plus()) / static_cast<float>(dim);
    local = 0.0f;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      float v = value(i) - mean;
      local += v * v;
    }
  }
  float inverse =
      1.0f / sqrtf(blockReduce(local, Plus()) / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    float v = value(i) - mean;
    y[row * dim + i] =
        store<T>(v * inverse * load(w[i]) + (b ? load(b[i]) : 0.0f));
  }
}

int normThreads(int64_t dim) {
  return dim >= 4096 ? 1024 : dim >= 1024 ? 512 : dim >= 256 ? 256 : 64;
}

template <typename T>
__global__ void
ropeKernel(T *x, const T *cos, const T *sin, const int64_t *positions,
           bool perBatch, int64_t batch, int64_t tokens, int64_t heads,
           int64_t headDim, int64_t rotary, int64_t tablePositions,
           bool interleaved, unsigned *errors) {
  int64_t half = rotary / 2;
  int64_t count = batch * tokens * heads * half;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t pair = i % half, head = i / half % heads, t = i / half / heads;
    int64_t b = t / tokens, token = t % tokens;
    int64_t position = positions[perBatch ? b * tokens + token : token];
    if (position < 0 || position >= tablePositions) {
      atomicOr(errors, kPositionOutOfRange);
      continue;
    }
    T *v = x + (t * heads + head) * headDim;
    int64_t first = interleaved ? 2 * pair : pair;
    int64_t second = interleaved ? 2 * pair + 1 : pair + half;
    float c = load(cos[position * half + pair]),
          s = load(sin[position * half + pair]);
    float re = load(v[first]), im = load(v[second]);
    v[first] = store<T>(re * c - im * s);
    v[second] = store<T>(re * s + im * c);
  }
}

/// Flags a block table entry a call uses that is outside the pool: one
/// thread per (sequence, table column).
__global__ void checkBlocksKernel(const int32_t *table, const int64_t *position,
                                  AttentionShape shape, unsigned *errors) {
  int64_t count = shape.batch * shape.tableColumns;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t b = i / shape.tableColumns, column = i % shape.tableColumns;
    int64_t end = pastOf(shape, position, b) + shape.tokens;
    int32_t block = table[i];
    if (column * shape.blockTokens < end &&
        (block < 0 || block >= shape.poolBlocks))
      atomicOr(errors, kBlockOutOfRange);
  }
}

template <typename T>
__global__ void writeCacheKernel(const T *k, const T *v, T *cache,
                                 const int32_t *table, const int64_t *position,
                                 AttentionShape shape, unsigned *errors) {
  int64_t count = shape.batch * shape.tokens * shape.kvHeads * shape.headDim;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t d = i % shape.headDim, h = i / shape.headDim % shape.kvHeads,
            t = i / shape.headDim / shape.kvHeads % shape.tokens,
            b = i / shape.headDim / shape.kvHeads / shape.tokens;
    int64_t past = pastOf(shape, position, b);
    int64_t at = past + t;
    if (past < 0 || (at >= shape.slots && !ringed(shape))) {
      atomicOr(errors, kPositionOutOfRange);
      continue;
    }
    // In a ring only the last `slots` tokens stay.
    if (t < shape.tokens - shape.slots)
      continue;
    if (table) {
      int32_t block = table[b * shape.tableColumns + at / shape.blockTokens];
      if (block < 0 || block >= shape.poolBlocks)
        continue; // checkBlocksKernel reports it
    }
    cache[cachedRow(shape, table, 0, b, h, at) + d] = k[i];
    cache[cachedRow(shape, table, 1, b, h, at) + d] = v[i];
  }
}

/// Keys per block when decode splits them (flash-decoding).
constexpr int64_t kKeysPerSplit = 256;

/// How many blocks share one query's keys: several for decode with few
/// (sequence, head) pairs to spread over the GPU, else one.
int64_t splitsOf(const AttentionShape &shape) {
  if (shape.tokens != 1 || shape.batch * shape.qHeads >= 256)
    return 1;
  return (shape.slots + kKeysPerSplit - 1) / kKeysPerSplit;
}

/// One block per (query head, split of the keys, token, sequence) -- the
/// split and the token share blockIdx.y. Its warps take every warps-th key
/// of the block's range, each lane PerLane features of the head, with an
/// online softmax, and merge at the end. With one split the block writes
/// the output; with several, its partial (max, sum, unnormalized output)
/// for combineKernel.
template <typename T, int PerLane>
__global__ void attentionKernel(const T *q, const T *k, const T *v,
                                const T *cache, const int32_t *table,
                                const int64_t *position, T *out, float *partial,
                                int64_t splits, AttentionShape shape) {
  constexpr int kMaxWarps = 8;
  __shared__ float warpMax[kMaxWarps], warpSumOf[kMaxWarps];
  __shared__ float warpOut[kMaxWarps][PerLane * kWarp];
  int64_t head = blockIdx.x, split = blockIdx.y % splits,
          t = blockIdx.y / splits, b = blockIdx.z;
  int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  int warps = blockDim.x / kWarp;
  int64_t past = pastOf(shape, position, b);
  if (past < 0 || (past + t >= shape.slots && !ringed(shape)))
    return; // reported by writeCacheKernel
  int64_t span = past + t + 1, seen = firstVisibleKey(past + t, shape.window);
  int64_t chunk = splits == 1 ? span - seen : kKeysPerSplit;
  int64_t first = seen + split * chunk, last = min(span, first + chunk);
  int64_t kvHead = head / (shape.qHeads / shape.kvHeads);
  KeySource<T> source(k, v, cache, table, past, shape, b, kvHead);
  int64_t row = (b * shape.tokens + t) * shape.qHeads + head;
  const T *query = q + row * shape.headDim;
  float qv[PerLane], acc[PerLane];
  for (int i = 0; i < PerLane; ++i) {
    int64_t d = lane + kWarp * i;
    qv[i] = d < shape.headDim ? load(query[d]) : 0.0f;
    acc[i] = 0.0f;
  }
  float best = -FLT_MAX, total = 0.0f;
  for (int64_t j = first + warp; j < last; j += warps) {
    const T *key = source.key(j);
    float dot = 0.0f;
    for (int i = 0; i < PerLane; ++i) {
      int64_t d = lane + kWarp * i;
      if (d < shape.headDim)
        dot += qv[i] * load(key[d]);
    }
    float score = math::softCap(warpSum(dot) * shape.scale, shape.softcap);
    float next = fmaxf(best, score);
    float rescale = expf(best - next), p = expf(score - next);
    total = total * rescale + p;
    const T *value = source.value(j);
    for (int i = 0; i < PerLane; ++i) {
      int64_t d = lane + kWarp * i;
      acc[i] =
          acc[i] * rescale + (d < shape.headDim ? p * load(value[d]) : 0.0f);
    }
    best = next;
  }
  if (lane == 0) {
    warpMax[warp] = best;
    warpSumOf[warp] = total;
  }
  for (int i = 0; i < PerLane; ++i)
    warpOut[warp][lane + kWarp * i] = acc[i];
  __syncthreads();
  if (warp != 0)
    return;
  float overall = -FLT_MAX;
  for (int w = 0; w < warps; ++w)
    if (warpSumOf[w] > 0.0f)
      overall = fmaxf(overall, warpMax[w]);
  float denominator = 0.0f;
  float result[PerLane] = {};
  for (int w = 0; w < warps; ++w) {
    float weight = warpSumOf[w] > 0.0f ? expf(warpMax[w] - overall) : 0.0f;
    denominator += warpSumOf[w] * weight;
    for (int i = 0; i < PerLane; ++i)
      result[i] += warpOut[w][lane + kWarp * i] * weight;
  }
  if (splits > 1) {
    float *record = partial + (row * splits + split) * (shape.headDim + 2);
    if (lane == 0) {
      record[0] = overall;
      record[1] = denominator;
    }
    for (int i = 0; i < PerLane; ++i) {
      int64_t d = lane + kWarp * i;
      if (d < shape.headDim)
        record[2 + d] = result[i];
    }
    return;
  }
  T *target = out + row * shape.headDim;
  for (int i = 0; i < PerLane; ++i) {
    int64_t d = lane + kWarp * i;
    if (d < shape.headDim)
      target[d] = store<T>(result[i] / denominator);
  }
}

/// Merges the splits' partial results of each query row: one block per
/// row, a thread per feature.
template <typename T>
__global__ void combineKernel(const float *partial, const int64_t *position,
                              T *out, int64_t splits, AttentionShape shape) {
  int64_t row = blockIdx.x;
  int64_t past = pastOf(shape, position, row / shape.qHeads / shape.tokens);
  if (past < 0 || (past >= shape.slots && !ringed(shape)))
    return;
  const float *records = partial + row * splits * (shape.headDim + 2);
  float overall = -FLT_MAX;
  for (int64_t s = 0; s < splits; ++s)
    if (records[s * (shape.headDim + 2) + 1] > 0.0f)
      overall = fmaxf(overall, records[s * (shape.headDim + 2)]);
  for (int64_t d = threadIdx.x; d < shape.headDim; d += blockDim.x) {
    float denominator = 0.0f, sum = 0.0f;
    for (int64_t s = 0; s < splits; ++s) {
      const float *record = records + s * (shape.headDim + 2);
      if (record[1] <= 0.0f)
        continue;
      float weight = expf(record[0] - overall);
      denominator += record[1] * weight;
      sum += record[2 + d] * weight;
    }
    out[row * shape.headDim + d] = store<T>(sum / denominator);
  }
}

__device__ __forceinline__ float activation(float x, int kind) {
  return kind == 0   ? llmc::math::silu(x)
         : kind == 1 ? llmc::math::gelu(x)
                     : llmc::math::geluTanh(x);
}

template <typename T>
__global__ void activateKernel(T *gate, const T *up, int64_t rows,
                               int64_t width, int64_t stride, int kind) {
  int64_t count = rows * width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t at = i / width * stride + i % width;
    float a = activation(load(gate[at]), kind);
    gate[at] = store<T>(up ? a * load(up[at]) : a);
  }
}

__global__ void iotaKernel(int64_t *out, int64_t count, int64_t first) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = first + i;
}

__global__ void addIntegersKernel(const int64_t *a, const int64_t *b,
                                  bool bScalar, int64_t *out, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = a[i] + b[bScalar ? 0 : i];
}

template <typename T>
__global__ void stridedCopyKernel(const T *x, T *out, StridedCopy copy,
                                  int64_t count) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rest = i, from = copy.offset;
    for (int d = copy.rank - 1; d >= 0; --d) {
      from += rest % copy.extents[d] * copy.strides[d];
      rest /= copy.extents[d];
    }
    out[i] = x[from];
  }
}

} // namespace

cudaError_t embedding(Storage type, const void *table, const int64_t *ids,
                      int64_t count, int64_t vocab, int64_t dim, void *out,
                      unsigned *errors, cudaStream_t stream) {
  if (count == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    embeddingKernel<<<gridFor(count, 1), 128, 0, stream>>>(
        static_cast<const T *>(table), ids, count, vocab, dim,
        static_cast<T *>(out), errors);
    return cudaGetLastError();
  });
}

namespace {

cudaError_t norm(bool layer, Storage type, const void *x, const void *residual,
                 const void *w, const void *b, float eps, void *sum, void *y,
                 int64_t rows, int64_t dim, cudaStream_t stream) {
  if (rows == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    auto launch = [&](auto kernel) {
      kernel<<<rows, normThreads(dim), 0, stream>>>(
          static_cast<const T *>(x), static_cast<const T *>(residual),
          static_cast<const T *>(w), static_cast<const T *>(b), eps,
          static_cast<T *>(sum), static_cast<T *>(y), dim);
    };
    if (layer)
      launch(normKernel<T, true>);
    else
      launch(normKernel<T, false>);
    return cudaGetLastError();
  });
}

} // namespace

cudaError_t rmsNorm(Storage type, const void *x, const void *residual,
                    const void *w, float eps, void *sum, void *y, int64_t rows,
                    int64_t dim, cudaStream_t stream) {
  return norm(false, type, x, residual, w, nullptr, eps, sum, y, rows, dim,
              stream);
}

cudaError_t layerNorm(Storage type, const void *x, const void *residual,
                      const void *w, const void *b, float eps, void *sum,
                      void *y, int64_t rows, int64_t dim, cudaStream_t stream) {
  return norm(true, type, x, residual, w, b, eps, sum, y, rows, dim, stream);
}

cudaError_t rope(Storage type, void *x, const void *cos, const void *sin,
                 const int64_t *positions, bool perBatch, int64_t batch,
                 int64_t tokens, int64_t heads, int64_t headDim, int64_t rotary,
                 int64_t tablePositions, bool interleaved, unsigned *errors,
                 cudaStream_t stream) {
  int64_t count = batch * tokens * heads * (rotary / 2);
  if (count == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    ropeKernel<<<gridFor(count, 256), 256, 0, stream>>>(
        static_cast<T *>(x), static_cast<const T *>(cos),
        static_cast<const T *>(sin), positions, perBatch, batch, tokens, heads,
        headDim, rotary, tablePositions, interleaved, errors);
    return cudaGetLastError();
  });
}

int64_t attentionScratchFloats(const AttentionShape &shape) {
  int64_t splits = splitsOf(shape);
  return splits == 1 ? 0
                     : shape.batch * shape.tokens * shape.qHeads * splits *
                           (shape.headDim + 2);
}

cudaError_t cachedAttention(Storage type, const void *q, const void *k,
                            const void *v, void *cache, const int32_t *table,
                            const int64_t *position, void *out,
                            const AttentionShape &shape, float *scratch,
                            unsigned *errors, cudaStream_t stream) {
  int64_t count = shape.batch * shape.tokens * shape.kvHeads * shape.headDim;
  if (count == 0)
    return cudaSuccess;
  int64_t splits = splitsOf(shape);
  if (shape.headDim > 256 || (splits > 1 && !scratch) ||
      (table && shape.blockTokens < 1))
    return cudaErrorInvalidValue;
  if (table) {
    int64_t entries = shape.batch * shape.tableColumns;
    checkBlocksKernel<<<gridFor(entries, 256), 256, 0, stream>>>(
        table, position, shape, errors);
  }
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    // Attend first (the new keys from k and v), then store them.
    auto write = [&] {
      writeCacheKernel<<<gridFor(count, 256), 256, 0, stream>>>(
          static_cast<const T *>(k), static_cast<const T *>(v),
          static_cast<T *>(cache), table, position, shape, errors);
      return cudaGetLastError();
    };
    if (prefillAttentionTakes(shape)) {
      if (cudaError_t error = prefillAttention(type, q, k, v, cache, table,
                                               position, out, shape, stream);
          error != cudaSuccess)
        return error;
      return write();
    }
    dim3 grid(static_cast<unsigned>(shape.qHeads),
              static_cast<unsigned>(shape.tokens * splits),
              static_cast<unsigned>(shape.batch));
    const int threads = 4 * kWarp;
    auto launch = [&](auto kernel) {
      kernel<<<grid, threads, 0, stream>>>(
          static_cast<const T *>(q), static_cast<const T *>(k),
          static_cast<const T *>(v), static_cast<const T *>(cache), table,
          position, static_cast<T *>(out), scratch, splits, shape);
    };
    if (shape.headDim <= 32)
      launch(attentionKernel<T, 1>);
    else if (shape.headDim <= 64)
      launch(attentionKernel<T, 2>);
    else if (shape.headDim <= 128)
      launch(attentionKernel<T, 4>);
    else
      launch(attentionKernel<T, 8>);
    if (splits > 1)
      combineKernel<<<static_cast<unsigned>(shape.batch * shape.tokens *
                                            shape.qHeads),
                      128, 0, stream>>>(scratch, position,
                                        static_cast<T *>(out), splits, shape);
    if (cudaError_t error = cudaGetLastError(); error != cudaSuccess)
      return error;
    return write();
  });
}

cudaError_t activate(Storage type, void *gate, const void *up, int64_t rows,
                     int64_t width, int64_t stride, int activation,
                     cudaStream_t stream) {
  int64_t count = rows * width;
  if (count == 0)
    return cudaSuccess;
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    activateKernel<<<gridFor(count, 256), 256, 0, stream>>>(
        static_cast<T *>(gate), static_cast<const T *>(up), rows, width, stride,
        activation);
    return cudaGetLastError();
  });
}

cudaError_t iota(int64_t *out, int64_t count, int64_t first,
                 cudaStream_t stream) {
  if (count > 0)
    iotaKernel<<<gridFor(count, 256), 256, 0, stream>>>(out, count, first);
  return cudaGetLastError();
}

cudaError_t addIntegers(const int64_t *a, const int64_t *b, bool bScalar,
                        int64_t *out, int64_t count, cudaStream_t stream) {
  if (count > 0)
    addIntegersKernel<<<gridFor(count, 256), 256, 0, stream>>>(a, b, bScalar,
                                                               out, count);
  return cudaGetLastError();
}

cudaError_t stridedCopy(const void *x, void *out, int64_t elementBytes,
                        const StridedCopy &copy, cudaStream_t stream) {
  int64_t count = 1;
  for (int d = 0; d < copy.rank; ++d)
    count *= copy.extents[d];
  if (count == 0)
    return cudaSuccess;
  // Elements move as unsigned integers of their width.
  auto launch = [&](auto zero) {
    using T = decltype(zero);
    stridedCopyKernel<<<gridFor(count, 256), 256, 0, stream>>>(
        static_cast<const T *>(x), static_cast<T *>(out), copy, count);
    return cudaGetLastError();
  };
  switch (elementBytes) {
  case 1:
    return launch(uint8_t{});
  case 2:
    return launch(uint16_t{});
  case 4:
    return launch(uint32_t{});
  case 8:
    return launch(uint64_t{});
  }
  return cudaErrorInvalidValue;
}

} // namespace llmc::kernels::cuda
