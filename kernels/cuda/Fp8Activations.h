//===- Fp8Activations.h - inputs of fp8 GEMMs on a GPU --------------------===//
//
// llmc-quantize-fp8 with `activations` rounds each input of an fp8 weight
// to E4M3 with one scale per tensor: a static scale from calibration, or
// the call's largest magnitude / 448. On a GPU the scale stays in device
// memory (no copy back, so the steps can be recorded in a CUDA graph) and
// the rounding is format::floatToE4m3, the CPU kernels' and the
// compiler's. The codes feed cuBLASLt's fp8 GEMM (sm_89 and newer); the
// rounded values, in the storage type, feed every other path, as the CPU
// computes them.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_FP8ACTIVATIONS_H
#define LLMC_KERNELS_CUDA_FP8ACTIVATIONS_H

#include "kernels/cuda/Transformer.h"

namespace llmc::kernels::cuda {

/// *scale = `fixed` when it is > 0, else the largest |x| of `count`
/// elements / 448 (1 when x is all zeros).
cudaError_t fp8ActivationScale(Storage type, const void *x, int64_t count,
                               float fixed, float *scale, cudaStream_t stream);

/// The E4M3 codes of x / *scale into `codes`, and (when `rounded` is not
/// null) their values times *scale into `rounded`, of `type`. `codes` may
/// be null.
cudaError_t roundToE4m3(Storage type, const void *x, int64_t count,
                        const float *scale, uint8_t *codes, void *rounded,
                        cudaStream_t stream);

/// y[m, n] = product[m, n] * rowScales[n] (+ bias[n]), of `type`: an fp8
/// GEMM's f32 result with the weight's per-row (output channel) scales.
cudaError_t scaleFp8Product(Storage type, const float *product,
                            const float *rowScales, const void *bias, void *y,
                            int64_t m, int64_t n, cudaStream_t stream);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_FP8ACTIVATIONS_H
