//===- QuantLinear.h - weight-only quantized linears on a GPU -------------===//
//
// y[m, n] = x[m, k] dequant(W)^T (+ bias[n]) for a quantized weight laid
// out as runtime/format/QuantLayout.h says (int8, uint4 with zero points,
// fp8; f16 or f32 group scales), with x, bias and y of one storage type.
// Decode (m up to kMaxGemvRows) reads the codes once in a GEMV, one warp
// per weight row, each lane a 16-byte block at a time (32 uint4 codes, or
// 16 int8/fp8 ones when k and the group are multiples of 16);
// longer inputs dequantize the weight into `scratch` and the caller runs
// the GEMM. The per-weight math, (code - zero) * scale, is the CPU
// kernels' (kernels/cpu/QuantLinear.cpp): codes decoded by
// format::codeValue, or, in the uint4 GEMV, unpacked from whole blocks.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_QUANTLINEAR_H
#define LLMC_KERNELS_CUDA_QUANTLINEAR_H

#include "kernels/cuda/Transformer.h"
#include "runtime/format/QuantLayout.h"

namespace llmc::kernels::cuda {

/// A quantized [n, k] weight in device memory.
struct QuantMatrix {
  format::QuantCodes codes = format::QuantCodes::int8;
  int64_t n = 0, k = 0, group = 0;
  const uint8_t *data = nullptr;
  const void *scales = nullptr;
  bool halfScales = false;
  const uint8_t *zeros = nullptr;
};

inline constexpr int64_t kMaxGemvRows = 8;

/// The GEMV: m <= kMaxGemvRows.
cudaError_t quantGemv(Storage type, const QuantMatrix &w, const void *x,
                      const void *bias, void *y, int64_t m,
                      cudaStream_t stream);

/// dequant(W) [n, k] into `out`, of `type`.
cudaError_t dequantize(Storage type, const QuantMatrix &w, void *out,
                       cudaStream_t stream);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_QUANTLINEAR_H
