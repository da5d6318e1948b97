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
// - AVX2 (QuantGemvAvx2.cpp): VPMADDUBSW and VPMADDWD over weights
//   repacked once at load (PackedQuant below): 4 activation bytes
//   broadcast meet 4 codes of each of 8 weight rows, so every lane of the
//   integer sums is one row's and nothing is reduced across lanes; int8
//   weights enter as |w| against x carrying w's sign. Up to 4 rows of x
//   share each load of the codes, and more rows (prefill) run as a GEMM of
//   the same tiles, so a row's result is the same in a batch, a prompt or
//   alone.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_QUANTGEMVINT8_H
#define LLMC_KERNELS_CPU_QUANTGEMVINT8_H

#include "kernels/cpu/QuantLinear.h"

#include <optional>
#include <vector>

namespace llmc::kernels {

/// An int8 or uint4 weight regrouped for the AVX2 integer kernels: rows in
/// tiles of 8 (the last padded with zero codes and scales), each tile's
/// blocks of 32 weights one after another. An int8 block is 8 vectors of
/// 32 bytes, vector j holding weights 4j..4j+3 of the tile's rows, row
/// after row; a uint4 block is 4 such vectors whose low nibbles hold
/// weights 4j..4j+3 and high nibbles weights 16+4j..16+4j+3. Scales are
/// [tiles][groups][8] as stored (f16 or f32), zero points the same in
/// bytes (empty without them).
struct PackedQuant {
  int64_t tiles = 0;
  std::vector<uint8_t> codes, scales, zeros;
};

/// Whether packForAvx2 takes `w` and this CPU runs its kernels: int8 or
/// uint4 codes, k and the group multiples of 32, AVX2 with FMA and F16C.
bool packsForAvx2(const QuantWeight &w);
/// `w` in the layout above; packsForAvx2(w).
PackedQuant packForAvx2(const QuantWeight &w);
/// The layout the selected CPU path (selectedCpuIsa(), the activation
/// mode) multiplies `w` in, when it is not `w`'s own: packForAvx2's on
/// AVX2 with int8 activations, else nothing.
std::optional<PackedQuant> packForSelectedPath(const QuantWeight &w);

/// Rows of x rounded to int8 in blocks of 32, as above: codes [m, k],
/// each block's scale [m, k / 32] and its scale times the sum of its codes
/// (what a zero point takes back out) [m, k / 32].
/// A view of memory laid out by format::int8BlocksLayout(m, k).
struct Int8Blocks {
  int64_t m = 0, k = 0;
  int8_t *codes = nullptr;
  float *scales = nullptr, *terms = nullptr;

  /// The blocks of x [m, k] in `memory` (64-byte aligned, of
  /// format::int8BlocksLayout(m, k).totalBytes).
  static Int8Blocks in(uint8_t *memory, int64_t m, int64_t k);
};

/// x [out.m, out.k] (k a multiple of 32) rounded into `out`, on AVX2.
void roundToInt8BlocksAvx2(const float *x, Int8Blocks &out);

/// y[i, r - begin] = x[i] . dequant(W)[r]^T (+ bias[r]) for every row i of
/// x and the weight rows r in [begin, end), over w.packed (x.k == w.k);
/// `work` (format::quantLinearWorkBytes(x.m, k, group)) holds per-group
/// terms.
void quantGemmAvx2(const Int8Blocks &x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t ldy,
                   Workspace work);

/// Whether `isa`'s integer path takes `w` on this CPU: on AVX-512, VNNI
/// (with BW and VL), int8 or uint4 codes, k and the group multiples of 32;
/// on AVX2, `w` packed (w.packed, made by packForAvx2 only where
/// packsForAvx2 holds). Never for the portable path.
bool int8GemvApplies(CpuIsa isa, const QuantWeight &w);

/// y[m, r - begin] = x . dequant(W)[r]^T (+ bias[r]) for m <= 4 rows of x,
/// x rounded to int8 blocks as described above (in `work`, with the
/// weight tiles' scales); int8GemvApplies(isa, w).
void quantGemvVnni(const float *x, const QuantWeight &w, int64_t begin,
                   int64_t end, const float *bias, float *y, int64_t m,
                   int64_t ldy, Workspace work);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_QUANTGEMVINT8_H
