//===- KvQuant.h - int8 and fp8 keys and values with per-block scales ----===//
//
// A quantized paged KV cache (llmc compile --kv-dtype int8|fp8;
// docs/kv-cache.md) keeps each (block, layer, keys or values, kv head) as
// a plane of B rows of head_dim one-byte codes, then one more row whose
// first four bytes are the plane's f32 scale: a value is code x scale
// (int8 codes -127..127, nearest; fp8 E4M3FN codes up to +-448). The scale
// covers the rows written so far: the first row of a block sets it from
// its largest magnitude (fp8: the power of two at or above it over 448),
// and a later row that exceeds what it codes raises it, coding the rows
// before it again at the new scale (rows of a block arrive in order, one
// position after another). The CPU and CUDA
// kernels and the tests share these.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_COMMON_KVQUANT_H
#define LLMC_KERNELS_COMMON_KVQUANT_H

#include "kernels/common/ElementwiseMath.h"
#include "runtime/format/QuantLayout.h"

#include <cstdint>
#include <cstring>

namespace llmc::kernels {

using format::QuantCodes;

/// The largest magnitude a code holds.
LLMC_HOST_DEVICE float kvCodeLimit(QuantCodes codes) {
  return codes == QuantCodes::int8 ? 127.0f : 448.0f;
}

/// The power of two at or above `x` (> 0).
LLMC_HOST_DEVICE float powerOfTwoAtLeast(float x) {
  uint32_t bits = format::floatBits(x);
  uint32_t exponent = bits & 0x7f800000u;
  if (bits & 0x007fffffu)
    exponent += 0x00800000u;
  return format::floatFromBits(exponent);
}

/// The code of `scaled` (a value over its scale).
LLMC_HOST_DEVICE uint8_t kvEncode(float scaled, QuantCodes codes) {
  return codes == QuantCodes::int8
             ? static_cast<uint8_t>(format::floatToInt8(scaled))
             : format::floatToE4m3(scaled);
}

/// A code's value before scaling.
LLMC_HOST_DEVICE float kvDecode(uint8_t code, QuantCodes codes) {
  return codes == QuantCodes::int8
             ? static_cast<float>(static_cast<int8_t>(code))
             : format::fp8ToFloat(code, true);
}

/// The scale of a plane of `blockTokens` rows of `headDim` codes.
LLMC_HOST_DEVICE float kvScale(const uint8_t *plane, int64_t blockTokens,
                               int64_t headDim) {
  float scale;
  std::memcpy(&scale, plane + blockTokens * headDim, sizeof scale);
  return scale;
}

LLMC_HOST_DEVICE void setKvScale(uint8_t *plane, int64_t blockTokens,
                                 int64_t headDim, float scale) {
  std::memcpy(plane + blockTokens * headDim, &scale, sizeof scale);
}

/// The scale whose codes reach `largest` (> 0): int8's whole range, or
/// fp8's power of two at or above it.
LLMC_HOST_DEVICE float kvScaleFor(float largest, QuantCodes codes) {
  return codes == QuantCodes::int8
             ? largest / kvCodeLimit(codes)
             : powerOfTwoAtLeast(largest / kvCodeLimit(codes));
}

/// Codes `row` into slot `slot` of a plane whose slots before it hold the
/// block's earlier rows (slot 0 starts the block afresh, whatever the plane
/// held before).
LLMC_HOST_DEVICE void writeKvRow(uint8_t *plane, int64_t blockTokens,
                                 int64_t headDim, int64_t slot,
                                 const float *row, QuantCodes codes) {
  float largest = 0.0f;
  for (int64_t d = 0; d < headDim; ++d) {
    float magnitude = row[d] < 0.0f ? -row[d] : row[d];
    largest = magnitude > largest ? magnitude : largest;
  }
  const float limit = kvCodeLimit(codes);
  float scale = slot == 0 ? 0.0f : kvScale(plane, blockTokens, headDim);
  if (largest > scale * limit) {
    // fp8 scales are powers of two, so that raising one codes the rows
    // before again exactly (a shift of their exponents, above fp8's
    // smallest normal); int8 takes the whole range of its codes.
    const float raised = kvScaleFor(largest, codes);
    // The rows before keep their values as nearly as the coarser scale
    // codes them.
    const float ratio = scale / raised;
    for (int64_t i = 0; i < slot * headDim; ++i)
      plane[i] = kvEncode(kvDecode(plane[i], codes) * ratio, codes);
    scale = raised;
    setKvScale(plane, blockTokens, headDim, scale);
  } else if (slot == 0) {
    setKvScale(plane, blockTokens, headDim, scale);
  }
  uint8_t *out = plane + slot * headDim;
  const float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
  for (int64_t d = 0; d < headDim; ++d)
    out[d] = kvEncode(row[d] * inverse, codes);
}

/// Codes `count` rows (row-major, headDim each) into slots 0 .. count - 1
/// of a plane at once, under the scale of their largest magnitude (what
/// writing them one by one gives when the largest comes first).
LLMC_HOST_DEVICE void writeKvRows(uint8_t *plane, int64_t blockTokens,
                                  int64_t headDim, const float *rows,
                                  int64_t count, QuantCodes codes) {
  float largest = 0.0f;
  for (int64_t i = 0; i < count * headDim; ++i) {
    float magnitude = rows[i] < 0.0f ? -rows[i] : rows[i];
    largest = magnitude > largest ? magnitude : largest;
  }
  const float scale = largest > 0.0f ? kvScaleFor(largest, codes) : 0.0f;
  setKvScale(plane, blockTokens, headDim, scale);
  const float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
  for (int64_t i = 0; i < count * headDim; ++i)
    plane[i] = kvEncode(rows[i] * inverse, codes);
}

} // namespace llmc::kernels

#endif // LLMC_KERNELS_COMMON_KVQUANT_H
