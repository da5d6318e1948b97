//===- QuantLinear.h - y = x W^T + b with W quantized, on the CPU ---------===//
//
// W is an int8, uint4 or fp8 [n, k] weight in runtime/format/QuantLayout.h's
// layout. Up to 4 rows of x (decode) stream the codes once and dequantize
// them in registers: codes widen to 32-bit lanes, the zero point is
// subtracted as an integer, the products with x sum per group, and each
// group's sum is scaled once. More rows (prefill) dequantize a block of
// weight rows to f32 and run the fp32 GEMM over it. AVX-512 and AVX2 paths,
// chosen at run time, and a portable one that is also the tests' reference.
// int8 and uint4 weights instead round x to int8 and multiply in integers
// (QuantGemvInt8.h: decode rows on AVX-512 VNNI; every row on AVX2, over
// weights repacked at load, from x the caller rounded into int8 blocks)
// unless told to keep x exact (LLMC_CPU_ACTIVATIONS=exact, or x already
// rounded by the op): the same weights, x within half an int8 step of its
// block's scale. Every intermediate comes from the caller's Workspace of
// format::quantLinearWorkBytes(m, k, group) bytes.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_QUANTLINEAR_H
#define LLMC_KERNELS_CPU_QUANTLINEAR_H

#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/Workspace.h"
#include "runtime/format/QuantLayout.h"

#include <cstdint>

namespace llmc::kernels {

using format::QuantCodes;

struct PackedQuant;

/// A quantized weight as the kernels read it (pointers into its section).
struct QuantWeight {
  QuantCodes codes = QuantCodes::int8;
  int64_t n = 0, k = 0, group = 0;
  const uint8_t *data = nullptr;
  /// [n, k / group], f16 when halfScales.
  const void *scales = nullptr;
  bool halfScales = false;
  /// [n, k / group]: uint8 (uint4) or int8 (int8); null when none.
  const uint8_t *zeros = nullptr;
  /// The same weight regrouped for the AVX2 integer kernels
  /// (QuantGemvInt8.h), or null; its owner keeps it alive.
  const PackedQuant *packed = nullptr;

  int64_t groups() const { return k / group; }
  int64_t rowBytes() const { return format::quantRowBytes(codes, k); }
  float scale(int64_t row, int64_t g) const;
  /// The scales of rows [first, first + rows) as f32, row after row: the
  /// stored ones themselves when they are f32, else `buffer` (room for
  /// rows * groups() + 16) converted 16 at a time. For callers on AVX-512
  /// paths only.
  const float *scalesAvx512(int64_t first, int64_t rows, float *buffer) const;
  /// The same converted 8 at a time (F16C), `buffer` with room for
  /// rows * groups(). For callers on AVX2 paths only.
  const float *scalesAvx2(int64_t first, int64_t rows, float *buffer) const;
  int32_t zero(int64_t row, int64_t g) const;
};

/// y[m, r - begin] = x[m, k] . dequant(W)[r, :] (+ bias[r]) for the weight
/// rows r in [begin, end); y's rows are `ldy` apart. `exactInput` keeps x
/// as given (it is already rounded as a GEMM of codes takes it, or the
/// caller asks for exact activations): decode then skips AVX-512 VNNI's
/// integer path, which rounds x to int8 blocks of its own. `work`: the
/// calling thread's format::quantLinearWorkBytes(m, w.k, w.group) bytes.
void quantLinear(const float *x, const QuantWeight &w, int64_t begin,
                 int64_t end, const float *bias, float *y, int64_t m,
                 int64_t ldy, bool exactInput, Workspace work);

/// The same with a chosen instruction set (the CPU must have it); with
/// `int8Activations`, decode rows of int8/uint4 weights take AVX-512
/// VNNI's integer path where it applies, as quantLinear does (AVX2's
/// takes x in int8 blocks: quantGemmAvx2).
void quantLinearWith(CpuIsa isa, bool int8Activations, const float *x,
                     const QuantWeight &w, int64_t begin, int64_t end,
                     const float *bias, float *y, int64_t m, int64_t ldy,
                     Workspace work);

/// out = e4m3(x / scale) * scale: x rounded to fp8 E4M3 (nearest, ties to
/// even, saturating at 448) with a per-tensor scale, as an fp8 GEMM takes
/// its input. `out` may be `x`.
void roundToE4m3(const float *x, int64_t n, float scale, float *out);

/// x [rows, k] rounded to int8 row by row, as an int8 GEMM with per-token
/// scales takes its input: out = int8(x / s) * s, s = the row's largest
/// magnitude / 127 (1 for a row of zeros), codes by format::floatToInt8.
/// `out` may be `x`.
void roundToInt8Rows(const float *x, int64_t rows, int64_t k, float *out);

/// Weight rows [begin, end) as f32, row after row: the portable
/// definition.
void dequantizeRows(const QuantWeight &w, int64_t begin, int64_t end,
                    float *out);

/// The same with a chosen instruction set, bit for bit (AVX-512 has its
/// own; the prefill GEMM dequantizes through this); a row's scales go to
/// `work` (format::quantLinearWorkBytes of any m).
void dequantizeRowsWith(CpuIsa isa, const QuantWeight &w, int64_t begin,
                        int64_t end, float *out, Workspace work);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_QUANTLINEAR_H
