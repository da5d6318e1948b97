//===- QuantMath.h - rounding real weights to codes -----------------------===//
//
// The arithmetic every quantization pass shares: a group's scale and zero
// point, a weight's code, and the codes of a whole [n, k] matrix by
// round-to-nearest. A code q of a group with scale s and zero z stands for
// (q - z) * s. Codes are kept unsigned (0..15 for 4 bits); a symmetric
// 4-bit group has z = 8, which is how si4 (-8..7) is stored plus 8.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_QUANTMATH_H
#define LLMC_PASSES_QUANT_QUANTMATH_H

#include <cstdint>
#include <utility>
#include <vector>

namespace llmc::quant {

constexpr int32_t kInt4Max = 15;

struct GroupParams {
  float scale = 1.0f;
  int32_t zero = 0;
};

/// The float nearest `value` that an f16 holds (scales are stored as f16).
float roundToHalf(float value);

/// 4-bit parameters of a group whose weights lie in [low, high]: with a
/// zero point, [low, high] (widened to hold 0) maps onto 0..15; without,
/// the largest magnitude maps onto 7.5 around z = 8. The scale is an f16
/// value, never 0.
GroupParams int4Params(float low, float high, bool zeroPoint);

/// The range a group's 4-bit parameters cover: [min, max] of its weights
/// with a zero point, +- their largest magnitude without.
std::pair<float, float> int4Range(const float *values, int64_t count,
                                  bool zeroPoint);

/// clamp(round(w / s) + z, 0, maxCode).
int32_t quantizeCode(float w, const GroupParams &params, int32_t maxCode);

/// A matrix [n, k] quantized group-wise to 4 bits: codes (one per weight,
/// 0..15), and per group (row-major [n, k / group]) scales and zeros.
struct Int4Matrix {
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  std::vector<int32_t> zeros;
};

/// Round-to-nearest of `w` [n, k], groups of `group` inputs.
Int4Matrix quantizeInt4Rtn(const float *w, int64_t n, int64_t k, int64_t group,
                           bool zeroPoint);

/// Codes, scales and zeros back to real weights [n, k].
std::vector<float> dequantizeInt4(const Int4Matrix &q, int64_t n, int64_t k,
                                  int64_t group);

/// Per output row: int8 codes (symmetric, scale = max |w| / 127).
void quantizeInt8Rows(const float *w, int64_t n, int64_t k,
                      std::vector<int8_t> &codes, std::vector<float> &scales);

/// Per output row: E4M3 codes (format::floatToE4m3) with scale = max |w| /
/// 448.
void quantizeFp8Rows(const float *w, int64_t n, int64_t k,
                     std::vector<uint8_t> &codes, std::vector<float> &scales);

} // namespace llmc::quant

#endif // LLMC_PASSES_QUANT_QUANTMATH_H
