//===- Transformer.h - the CPU kernels of llmc's transformer ops ----------===//
//
// Row-wise kernels in plain C++ (the compiler vectorizes their inner loops):
// RMSNorm and LayerNorm over the last axis, RoPE in both pairings,
// activations and softmax (attention: Attention.h).
// Layouts follow the llmc ops: activations [tokens, heads, head_dim].
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_TRANSFORMER_H
#define LLMC_KERNELS_CPU_TRANSFORMER_H

#include "kernels/cpu/CpuFeatures.h"

#include <cstdint>

namespace llmc::kernels {

/// y = x / sqrt(mean(x^2) + eps) * w, for each of `rows` rows of `dim`.
void rmsNorm(const float *x, const float *w, float eps, float *y, int64_t rows,
             int64_t dim);

/// y = (x - mean) / sqrt(var + eps) * w + b (b may be null).
void layerNorm(const float *x, const float *w, const float *b, float eps,
               float *y, int64_t rows, int64_t dim);

enum class RopePairs { interleaved, half };

/// Rotates the first `rotaryDim` features of each head of x [tokens, heads,
/// headDim] in place, token t at positions[t], with cos/sin tables
/// [maxPositions, rotaryDim / 2]. Interleaved pairs are (2i, 2i+1), half
/// pairs (i, i + rotaryDim/2).
void rope(float *x, const float *cos, const float *sin,
          const int64_t *positions, int64_t tokens, int64_t heads,
          int64_t headDim, int64_t rotaryDim, RopePairs pairs);

/// x * sigmoid(x) in place (AVX-512 or AVX2 where the CPU has it).
void silu(float *x, int64_t n);
/// The same with a chosen instruction set (scalar: std::exp; the CPU must
/// have it; tests compare the paths).
void siluWith(CpuIsa isa, float *x, int64_t n);
/// Exact (erf) GELU, or the tanh approximation.
void gelu(float *x, int64_t n, bool tanhApproximation);

/// In-place softmax of each of `rows` rows of `n`.
void softmax(float *x, int64_t rows, int64_t n);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_TRANSFORMER_H
