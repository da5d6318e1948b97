//===- QuantGemvVnni.h - int8/uint4 decode GEMV with int8 activations -----===//
//
// The decode path of QuantLinear on CPUs with AVX-512 VNNI: each input row
// is quantized to int8 in blocks of 32 (scale = the block's largest
// magnitude / 127), and VPDPBUSD multiplies the weight codes (uint4
// nibbles as bytes; int8 codes offset by 128 to unsigned) with the
// activation bytes, 64 products per instruction. Per block, the integer
// sums are scaled by the weight's and the activation's scales; zero points
// (and int8's offset) are taken out as -scale * zero * (the block's sum of
// activation codes times its scale). A row's result depends only on that
// row (batch-invariant), and differs from the float path by the rounding
// of x to int8.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_QUANTGEMVVNNI_H
#define LLMC_KERNELS_CPU_QUANTGEMVVNNI_H

#include "kernels/cpu/QuantLinear.h"

namespace llmc::kernels {

/// Whether the VNNI GEMV takes `w` on this CPU (int8 or uint4 codes, k and
/// the group multiples of 32, AVX-512 VNNI, BW and VL).
bool vnniGemvApplies(const QuantWeight &w);

/// y[m, r - begin] = x . dequant(W)[r]^T (+ bias[r]) for m <= 4 rows of x,
/// with x rounded to int8 blocks as described above.
void quantGemvVnni(const float *x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t m,
                   int64_t ldy);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_QUANTGEMVVNNI_H
