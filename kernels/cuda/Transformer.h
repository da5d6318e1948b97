//===- Transformer.h - the transformer kernels of the plan on a GPU -------===//
//
// Launchers of the CUDA kernels the runtime's cuda kernel table calls
// (runtime/cuda/TransformerKernels.cpp). Tensors are stored as f32, f16 or
// bf16 (`Storage`, one type per call) and computed in f32. Each
// enqueues its work on `stream` and returns the launch error; shapes are
// checked by the caller. Values the host does not know without a copy
// (token ids, positions) are read on the device; one out of range is
// recorded in `errors` (ErrorFlag) and the device reports it after the
// step (CudaDevice::synchronize). Each kernel's CPU reference is the
// kernels/cpu function of the same name; the gpu-labelled gtests compare
// them.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_TRANSFORMER_H
#define LLMC_KERNELS_CUDA_TRANSFORMER_H

#include "kernels/common/AttentionShape.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmc::kernels::cuda {

/// The element type of a call's float tensors.
enum class Storage { f32, f16, bf16 };

/// Bits of the device-side error word.
enum ErrorFlag : unsigned {
  kTokenOutOfRange = 1,
  kPositionOutOfRange = 2,
  kBlockOutOfRange = 4,
};

/// out[i, :] = table[ids[i], :].
cudaError_t embedding(Storage type, const void *table, const int64_t *ids,
                      int64_t count, int64_t vocab, int64_t dim, void *out,
                      unsigned *errors, cudaStream_t stream);

/// y = rms_norm(x (+ residual)) * w per row of `dim`; with `residual`,
/// x + residual is also written to `sum`.
cudaError_t rmsNorm(Storage type, const void *x, const void *residual,
                    const void *w, float eps, void *sum, void *y, int64_t rows,
                    int64_t dim, cudaStream_t stream);

/// y = layer_norm(x (+ residual)) * w (+ b); `sum` as for rmsNorm.
cudaError_t layerNorm(Storage type, const void *x, const void *residual,
                      const void *w, const void *b, float eps, void *sum,
                      void *y, int64_t rows, int64_t dim, cudaStream_t stream);

/// Rotates x [batch, tokens, heads, headDim] in place: the first `rotary`
/// features of each head in pairs (interleaved: 2i, 2i+1; else i,
/// i + rotary/2) by the angle of the token's position (positions[tokens],
/// or [batch, tokens] when `perBatch`), whose cos/sin rows have rotary/2
/// entries; `tablePositions` rows exist.
cudaError_t rope(Storage type, void *x, const void *cos, const void *sin,
                 const int64_t *positions, bool perBatch, int64_t batch,
                 int64_t tokens, int64_t heads, int64_t headDim, int64_t rotary,
                 int64_t tablePositions, bool interleaved, unsigned *errors,
                 cudaStream_t stream);

/// The KV cache [layers, 2, batch, kvHeads, capacity, headDim]:
/// out[b, t, h] = softmax(scale q k^T) v over positions 0..past + t, past
/// = pastOf(shape, position, b) (one position for all sequences or one
/// each), the last `window` of them with a window, scores soft-capped with
/// a softcap, of kv head h / (qHeads / kvHeads); the positions before past
/// come from the cache and the others from k and v ([batch, tokens,
/// kvHeads, headDim]), which are then written into `layer` at past..
/// (slot slotOffset + p % slots: a ring when the window fits the slots;
/// AttentionKeys.cuh).
using kernels::AttentionShape;
/// Prefill (kPrefillRows tokens or more) runs the tiled kernel of
/// PrefillAttention.h. Shorter inputs give each query row a block whose
/// warps share its keys; decode with few (sequence, head) pairs splits the
/// keys over blocks (flash-decoding) and merges their partial results:
/// attentionScratchFloats is the f32 scratch that takes, 0 when it does not
/// split.
int64_t attentionScratchFloats(const AttentionShape &shape);
cudaError_t cachedAttention(Storage type, const void *q, const void *k,
                            const void *v, void *cache, const int32_t *table,
                            const int64_t *position, void *out,
                            const AttentionShape &shape, float *scratch,
                            unsigned *errors, cudaStream_t stream);

/// Activations: 0 silu, 1 gelu (erf), 2 gelu (tanh).
/// gate[i] = act(gate[i]) * up[i] (up may be null: act alone), rows of
/// `width` values `stride` apart.
cudaError_t activate(Storage type, void *gate, const void *up, int64_t rows,
                     int64_t width, int64_t stride, int activation,
                     cudaStream_t stream);

/// out[i] = first + i.
cudaError_t iota(int64_t *out, int64_t count, int64_t first,
                 cudaStream_t stream);

/// out = a + b (i64), b one element or as many as a.
cudaError_t addIntegers(const int64_t *a, const int64_t *b, bool bScalar,
                        int64_t *out, int64_t count, cudaStream_t stream);

/// A strided copy of up to kMaxRank dimensions: out[i...] = x[offset +
/// sum_d i_d * strides[d]] (element strides into x, out contiguous).
inline constexpr int kMaxRank = 8;
struct StridedCopy {
  int rank;
  int64_t extents[kMaxRank];
  int64_t strides[kMaxRank];
  int64_t offset;
};
cudaError_t stridedCopy(const void *x, void *out, int64_t elementBytes,
                        const StridedCopy &copy, cudaStream_t stream);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_TRANSFORMER_H
