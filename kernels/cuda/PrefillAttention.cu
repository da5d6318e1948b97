//===- PrefillAttention.cu - tiled attention over the cache for prefill ---===//

#include "kernels/cuda/PrefillAttention.h"

#include "kernels/cuda/AttentionKeys.cuh"
#include "kernels/cuda/Storage.cuh"

#include <cfloat>

namespace llmc::kernels::cuda {

namespace {

/// Keys per tile: one per lane when scoring.
constexpr int kKeys = kWarp;
constexpr int kWarps = 4;
constexpr int kRows = static_cast<int>(kPrefillRows);
constexpr int kRowsPerWarp = kRows / kWarps;

/// One block per (query tile, head, sequence), kWarps warps of
/// kRowsPerWarp query rows each. Per key tile: lane j scores key j against
/// its warp's rows (the keys' rows are padded by one float so the lanes
/// read different banks), the rows' softmax state is updated, and each lane
/// accumulates PerLane features of the rows' outputs from the value tile,
/// taking the probabilities from lane j by shuffle. Head dimensions up to
/// kWarp * PerLane; the tiles are zero beyond it.
template <typename T, int PerLane>
__global__ void prefillKernel(const T *q, const T *k, const T *v,
                              const T *cache, const int32_t *table,
                              const int64_t *position, T *out,
                              AttentionShape shape) {
  constexpr int kDim = PerLane * kWarp;
  __shared__ float queries[kRows][kDim];
  __shared__ float keyTile[kKeys][kDim + 1];
  __shared__ float valueTile[kKeys][kDim];
  const int64_t head = blockIdx.x, first = blockIdx.y * int64_t(kRows),
                b = blockIdx.z;
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int64_t past = pastOf(shape, position, b), dim = shape.headDim;
  // Rows past the cache's end (not a ring) are reported by
  // writeCacheKernel and left unwritten.
  const int64_t last = min(min(first + kRows, shape.tokens),
                           ringed(shape) ? shape.tokens : shape.slots - past) -
                       1;
  if (past < 0 || last < first)
    return;
  const int64_t span = past + last + 1; // the keys the last row sees
  const int64_t kvHead = head / (shape.qHeads / shape.kvHeads);
  const KeySource<T> source(k, v, cache, table, past, shape, b, kvHead);

  for (int i = threadIdx.x; i < kRows * kDim; i += blockDim.x) {
    int r = i / kDim, d = i % kDim;
    int64_t t = first + r;
    queries[r][d] =
        d < dim && t <= last
            ? load(
                  q[((b * shape.tokens + t) * shape.qHeads + head) * dim + d]) *
                  shape.scale
            : 0.0f;
  }
  float acc[kRowsPerWarp][PerLane] = {};
  float best[kRowsPerWarp], total[kRowsPerWarp];
  for (int r = 0; r < kRowsPerWarp; ++r) {
    best[r] = -FLT_MAX;
    total[r] = 0.0f;
  }
  const int row0 = warp * kRowsPerWarp;
  // From the first key the tile's first row sees (a window skips the
  // tiles before it).
  for (int64_t tile = firstVisibleKey(past + first, shape.window); tile < span;
       tile += kKeys) {
    __syncthreads(); // the previous tile is used up (and queries are in)
    for (int i = threadIdx.x; i < kKeys * kDim; i += blockDim.x) {
      int j = i / kDim, d = i % kDim;
      bool inside = d < dim && tile + j < span;
      keyTile[j][d] = inside ? load(source.key(tile + j)[d]) : 0.0f;
      valueTile[j][d] = inside ? load(source.value(tile + j)[d]) : 0.0f;
    }
    __syncthreads();
    float score[kRowsPerWarp] = {};
#pragma unroll 8
    for (int d = 0; d < kDim; ++d) {
      float k = keyTile[lane][d];
      for (int r = 0; r < kRowsPerWarp; ++r)
        score[r] += queries[row0 + r][d] * k;
    }
    const int64_t key = tile + lane;
    float p[kRowsPerWarp];
    for (int r = 0; r < kRowsPerWarp; ++r) {
      int64_t t = first + row0 + r;
      bool visible = t <= last && key <= past + t &&
                     key >= firstVisibleKey(past + t, shape.window);
      float capped = math::softCap(score[r], shape.softcap);
      float tileBest = warpReduce(visible ? capped : -FLT_MAX,
                                  [](float a, float b) { return fmaxf(a, b); });
      float next = fmaxf(best[r], tileBest);
      float rescale = expf(best[r] - next);
      p[r] = visible ? expf(capped - next) : 0.0f;
      total[r] = total[r] * rescale + warpSum(p[r]);
      best[r] = next;
      for (int i = 0; i < PerLane; ++i)
        acc[r][i] *= rescale;
    }
    for (int j = 0; j < kKeys; ++j) {
      float pj[kRowsPerWarp];
      for (int r = 0; r < kRowsPerWarp; ++r)
        pj[r] = __shfl_sync(0xffffffffu, p[r], j);
      for (int i = 0; i < PerLane; ++i) {
        float v = valueTile[j][lane + kWarp * i];
        for (int r = 0; r < kRowsPerWarp; ++r)
          acc[r][i] += pj[r] * v;
      }
    }
  }
  for (int r = 0; r < kRowsPerWarp; ++r) {
    int64_t t = first + row0 + r;
    if (t > last)
      continue;
    T *target = out + ((b * shape.tokens + t) * shape.qHeads + head) * dim;
    for (int i = 0; i < PerLane; ++i) {
      int64_t d = lane + kWarp * i;
      if (d < dim)
        target[d] = store<T>(acc[r][i] / total[r]);
    }
  }
}

} // namespace

cudaError_t prefillAttention(Storage type, const void *q, const void *k,
                             const void *v, const void *cache,
                             const int32_t *table, const int64_t *position,
                             void *out, const AttentionShape &shape,
                             cudaStream_t stream) {
  if (!prefillAttentionTakes(shape))
    return cudaErrorInvalidValue;
  dim3 grid(static_cast<unsigned>(shape.qHeads),
            static_cast<unsigned>((shape.tokens + kRows - 1) / kRows),
            static_cast<unsigned>(shape.batch));
  return dispatch(type, [&](auto zero) {
    using T = decltype(zero);
    auto launch = [&](auto kernel) {
      kernel<<<grid, kWarps * kWarp, 0, stream>>>(
          static_cast<const T *>(q), static_cast<const T *>(k),
          static_cast<const T *>(v), static_cast<const T *>(cache), table,
          position, static_cast<T *>(out), shape);
    };
    if (shape.headDim <= 32)
      launch(prefillKernel<T, 1>);
    else if (shape.headDim <= 64)
      launch(prefillKernel<T, 2>);
    else
      launch(prefillKernel<T, 4>);
    return cudaGetLastError();
  });
}

} // namespace llmc::kernels::cuda
