//===- KvRows.h - a narrower KV cache's rows as f32 -----------------------===//
//
// A cached row held as f32, f16, bf16, int8 or fp8 (E4M3FN) codes
// (kernels/common/KvQuant.h) widened to f32 (the KV compaction of
// runtime/kvcache reads rows so): AVX-512 and AVX2 (with F16C for f16)
// where the CPU has them, else portable code, with KvLoad.h's conversions;
// every path gives the same floats (the conversions are exact).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_KVROWS_H
#define LLMC_KERNELS_CPU_KVROWS_H

#include "kernels/cpu/CpuFeatures.h"
#include "kernels/cpu/KvLoad.h"

#include <cstdint>

namespace llmc::kernels {

/// out[i] = element i of `row` (`count` of them) as f32, int8 and fp8 codes
/// times `scale` (f32, f16 and bf16 take none).
void widenKvRow(KvStorage held, const uint8_t *row, int64_t count, float scale,
                float *out);

/// `count` floats of `row` into `out` as f32, f16 or bf16 (round to
/// nearest even): the unscaled types' writer (int8 and fp8 rows take their
/// block's scale: KvQuant.h's writeKvRow).
void narrowKvRow(KvStorage held, const float *row, int64_t count, uint8_t *out);

/// widenKvRow on a chosen instruction set (the CPU must have it; tests
/// compare the paths).
void widenKvRowWith(CpuIsa isa, KvStorage held, const uint8_t *row,
                    int64_t count, float scale, float *out);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_KVROWS_H
