//===- QuantActivations.h - inputs of fp8 and int8 GEMMs on a GPU ---------===//
//
// llmc-quantize-fp8 with `activations` rounds each input of an fp8 weight
// to E4M3 with one scale per tensor: a static scale from calibration, or
// the call's largest magnitude / 448. llmc-quantize-int8 with
// `activations=dynamic` rounds each input row (token) of an int8 weight to
// int8 with its own scale, its largest magnitude / 127. On a GPU the
// scales stay in device memory (no copy back, so the steps can be recorded
// in a CUDA graph) and the rounding is the CPU kernels' and the compiler's
// (format::floatToE4m3, format::floatToInt8). The codes feed cuBLASLt's
// fp8 (sm_89 and newer) and int8 GEMMs; the rounded values, in the storage
// type, feed every other path, as the CPU computes them.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_QUANTACTIVATIONS_H
#define LLMC_KERNELS_CUDA_QUANTACTIVATIONS_H

#include "kernels/cuda/Transformer.h"

namespace llmc::kernels::cuda {

/// *scale = `fixed` when it is > 0, else the largest |x| of `count`
/// elements / 448 (1 when x is all zeros).
cudaError_t fp8ActivationScale(Storage type, const void *x, int64_t count,
                               float fixed, float *scale, cudaStream_t stream);

/// The E4M3 codes of x / *scale into `codes`, and their values times
/// *scale into `rounded`, of `type`. Either output may be null.
cudaError_t roundToE4m3(Storage type, const void *x, int64_t count,
                        const float *scale, uint8_t *codes, void *rounded,
                        cudaStream_t stream);

/// y[m, n] = product[m, n] * rowScales[n] (+ bias[n]), of `type`: an fp8
/// GEMM's f32 result with the weight's per-row (output channel) scales.
cudaError_t scaleFp8Product(Storage type, const float *product,
                            const float *rowScales, const void *bias, void *y,
                            int64_t m, int64_t n, cudaStream_t stream);

/// scales[r] = the largest |x| of row r of x [rows, k] / 127 (1 for a row
/// of zeros).
cudaError_t int8RowScales(Storage type, const void *x, int64_t rows, int64_t k,
                          float *scales, cudaStream_t stream);

/// The int8 codes of each row of x [rows, k] over its scale into `codes`,
/// and their values times the scale into `rounded`, of `type`. Either
/// output may be null.
cudaError_t roundToInt8Rows(Storage type, const void *x, int64_t rows,
                            int64_t k, const float *scales, int8_t *codes,
                            void *rounded, cudaStream_t stream);

/// y[m, n] = product[m, n] * xScales[m] * rowScales[n] (+ bias[n]), of
/// `type`: an int8 GEMM's int32 result with the input rows' and the
/// weight's scales.
cudaError_t scaleInt8Product(Storage type, const int32_t *product,
                             const float *xScales, const float *rowScales,
                             const void *bias, void *y, int64_t m, int64_t n,
                             cudaStream_t stream);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_QUANTACTIVATIONS_H
