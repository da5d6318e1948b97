//===- KvRows.h - a narrower KV cache's rows as f32 -----------------------===//
//
// The CPU attention kernel reads a paged cache held as f16, bf16, int8 or
// fp8 (E4M3FN) codes (kernels/common/KvQuant.h) a row of head_dim values at
// a time, widened to f32 for kernels/cpu/Attention.h: AVX-512 and AVX2 (with
// F16C for f16) where the CPU has them, else portable code; every path
// gives the same floats (the conversions are exact).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_KVROWS_H
#define LLMC_KERNELS_CPU_KVROWS_H

#include "kernels/cpu/CpuFeatures.h"

#include <cstdint>

namespace llmc::kernels {

enum class KvStorage { f16, bf16, int8, fp8 };

/// out[i] = element i of `row` (`count` of them) as f32, int8 and fp8 codes
/// times `scale` (f16 and bf16 take none).
void widenKvRow(KvStorage held, const uint8_t *row, int64_t count, float scale,
                float *out);

/// widenKvRow on a chosen instruction set (the CPU must have it; tests
/// compare the paths).
void widenKvRowWith(CpuIsa isa, KvStorage held, const uint8_t *row,
                    int64_t count, float scale, float *out);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_KVROWS_H
