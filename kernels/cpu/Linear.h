//===- Linear.h - y = x W^T + b on the CPU --------------------------------===//
//
// W is [n, k] row-major (llmc.linear's [out, in] layout: each output's
// weights contiguous), x is [m, k], y is [m, n]. One entry point picks the
// widest instruction set the CPU has (AVX-512, AVX2+FMA, else portable
// C++). Up to 4 rows of x (decode, and a few sequences decoding together)
// stream W once straight from memory in our own kernels, up to 8 (short
// prompts) twice; more rows (prefill) run OpenBLAS's SGEMM on one thread
// (the caller's pool splits the outputs), which picks its own kernel for
// the CPU (OPENBLAS_CORETYPE overrides it, as LLMC_CPU_ISA does ours).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_LINEAR_H
#define LLMC_KERNELS_CPU_LINEAR_H

#include "kernels/cpu/CpuFeatures.h"

#include <cstdint>

namespace llmc::kernels {

/// y[m, n] = x[m, k] W[n, k]^T (+ bias[n] when not null); y's rows are
/// `ldy` apart (0: n), so a caller can compute a slice of the output
/// features of every row.
void linear(const float *x, const float *w, const float *bias, float *y,
            int64_t m, int64_t n, int64_t k, int64_t ldy = 0);

/// The same with a chosen instruction set (tests compare the paths; the
/// caller must know the CPU has it).
void linearWith(CpuIsa isa, const float *x, const float *w, const float *bias,
                float *y, int64_t m, int64_t n, int64_t k, int64_t ldy = 0);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_LINEAR_H
