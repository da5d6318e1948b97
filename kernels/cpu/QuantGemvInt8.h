//===- QuantGemvInt8.h - int8/uint4 decode GEMV with int8 activations -----===//
//
// The decode paths of QuantLinear that multiply in integers: each input row
// is rounded to int8 in blocks of 32 (scale = the block's largest magnitude
// / 127), the weight codes meet the activation bytes in integer dot
// products, and each block's integer sum is scaled by the weight's and the
// activation's scales. Zero points (and, on VNNI, int8's offset that makes
// its codes unsigned) are taken out as -scale * zero * (the block's sum of
// activation codes times its scale). A row's result depends only on that row
// (batch-invariant), and differs from the float path by the rounding of x
// to int8: each product moves by at most 1/254 of itself.
//
// - AVX-512 VNNI (QuantGemvVnni.cpp): VPDPBUSD, 64 products per
//   instruction, weight rows 8 at a time.
// - AVX2 (QuantGemvAvx2.cpp): VPMADDUBSW and VPMADDWD, 32 products per
//   pair; int8 weights enter as |w| against x carrying w's sign.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_QUANTGEMVINT8_H
#define LLMC_KERNELS_CPU_QUANTGEMVINT8_H

#include "kernels/cpu/QuantLinear.h"

namespace llmc::kernels {

/// Whether `isa`'s integer GEMV takes `w` on this CPU: int8 or uint4 codes,
/// k and the group multiples of 32, and the ISA's instructions (AVX-512
/// VNNI with BW and VL; AVX2 with FMA and F16C). Never for the portable
/// path.
bool int8GemvApplies(CpuIsa isa, const QuantWeight &w);

/// y[m, r - begin] = x . dequant(W)[r]^T (+ bias[r]) for m <= 4 rows of x,
/// x rounded to int8 blocks as described above; int8GemvApplies(isa, w).
void quantGemvVnni(const float *x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t m,
                   int64_t ldy);
void quantGemvAvx2(const float *x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t m,
                   int64_t ldy);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_QUANTGEMVINT8_H
