//===- QuantLayout.h - how a quantized weight's section is laid out -------===//
//
// A quantized [n, k] weight (`!llmc.qweight` in the compiler) is one section
// of the artifact: the codes of every row, then the scales, then the zero
// points, each part starting 64-byte aligned. Row r's weight l is
// w = (code - zero) * scale, the scale and zero of its group l / group.
//
// - int8: one signed byte per weight; zeros (optional) signed bytes.
// - uint4: two weights per byte; each run of 32 weights of a row is 16
//   bytes, byte j holding weight j in its low nibble and weight j + 16 in
//   its high nibble (one 16-byte load widens to two vectors of 16); k and
//   the group are multiples of 32; zeros are always present, one byte
//   (0..15) per group.
// - fp8 E4M3FN / E5M2: one byte per weight, no zeros.
//
// Scales are f32 or f16 ([n, k / group] row-major); zeros the same shape.
// The compiler packs with these helpers; the CPU and CUDA kernels read
// with them (the readers compile for the GPU too).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_QUANTLAYOUT_H
#define LLMC_RUNTIME_FORMAT_QUANTLAYOUT_H

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define LLMC_FORMAT_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define LLMC_FORMAT_HOST_DEVICE inline
#endif

namespace llmc::format {

/// Same numbering as the artifact schema's QuantFormat.
enum class QuantCodes : int8_t { int8 = 0, uint4, fp8e4m3, fp8e5m2 };

constexpr int64_t kUint4Block = 32;

/// Activations rounded to int8 for the CPU's integer GEMMs
/// (kernels/cpu/QuantGemvInt8.h): x [m, k] in blocks of this many, with
/// codes [m, k], then each block's scale and term [m, k / 32], each part
/// 64-byte aligned. The kernel contract plans this much scratch.
constexpr int64_t kInt8ActivationBlock = 32;

/// Prefill (more than kGemvRows rows) with quantized weights dequantizes
/// blocks of weight rows, up to 1M weights a block, for the fp32 GEMM: the
/// rows of a block for `k` input features. Each worker thread holds one
/// block (the kernel contract plans it per worker).
constexpr int64_t kGemvRows = 4;
inline int64_t dequantBlockRows(int64_t k) {
  int64_t rows = (int64_t(1) << 20) / (k > 0 ? k : 1);
  return rows > 16 ? rows : 16;
}

struct Int8BlocksLayout {
  int64_t scalesOffset = 0, termsOffset = 0, totalBytes = 0;
};

inline Int8BlocksLayout int8BlocksLayout(int64_t m, int64_t k) {
  auto aligned = [](int64_t bytes) { return (bytes + 63) / 64 * 64; };
  int64_t perBlock = aligned(m * (k / kInt8ActivationBlock) * 4);
  Int8BlocksLayout layout;
  layout.scalesOffset = aligned(m * k);
  layout.termsOffset = layout.scalesOffset + perBlock;
  layout.totalBytes = layout.termsOffset + perBlock;
  return layout;
}

/// The CPU's quantized linear (kernels/cpu/QuantLinear.h) over m rows of x
/// and a weight of k input features in groups of `group`: the working
/// memory one thread takes in one call (kernels::Workspace hands it out
/// in 64-byte aligned pieces). Prefill (m > kGemvRows): a block of
/// dequantized rows; decode: the paths' small intermediates (a row's
/// scales and zero points, per-group sums of x, the portable path's
/// row, AVX-512 VNNI's x in int8 chunks); either: the per-group terms of
/// x in int8 blocks (AVX2, QuantGemvInt8.h). The sum of all of them, which
/// no path exceeds. The kernel contract plans it per worker thread.
inline int64_t quantLinearWorkBytes(int64_t m, int64_t k, int64_t group) {
  auto piece = [](int64_t bytes) { return (bytes + 63) / 64 * 64 + 64; };
  const int64_t groups = group > 0 ? k / group : k;
  const int64_t rowScales = piece((groups + 16) * 4) + piece(groups * 4);
  const int64_t groupTerms = piece(m * groups * 4);
  if (m > kGemvRows)
    return piece(dequantBlockRows(k) * k * 4) + rowScales + groupTerms;
  const int64_t chunks = (k + 127) / 128 * 2; // of 64 weights, or 128
  const int64_t vnni = piece(m * chunks * 128) + piece(m * chunks * 16 * 4) +
                       2 * piece((8 * groups + 16) * 4);
  return piece(k * 4) + rowScales + groupTerms + piece(m * groups * 4) + vnni;
}

LLMC_FORMAT_HOST_DEVICE int64_t quantRowBytes(QuantCodes codes, int64_t k) {
  return codes == QuantCodes::uint4 ? k / 2 : k;
}

inline int64_t alignTo64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

/// Where the parts of a quantized weight's section lie.
struct QuantSectionLayout {
  int64_t scalesOffset = 0, zerosOffset = 0, totalBytes = 0;
};

inline QuantSectionLayout quantSectionLayout(QuantCodes codes, int64_t n,
                                             int64_t k, int64_t group,
                                             bool halfScales, bool zeros) {
  QuantSectionLayout layout;
  int64_t groups = n * (k / group);
  layout.scalesOffset = alignTo64(n * quantRowBytes(codes, k));
  int64_t scaleBytes = groups * (halfScales ? 2 : 4);
  layout.zerosOffset = alignTo64(layout.scalesOffset + scaleBytes);
  layout.totalBytes =
      zeros ? layout.zerosOffset + groups : layout.scalesOffset + scaleBytes;
  return layout;
}

/// Stores weight `l` (0..15) of a uint4 row.
inline void setUint4(uint8_t *row, int64_t l, uint8_t code) {
  int64_t block = l / kUint4Block, within = l % kUint4Block;
  uint8_t &byte = row[block * 16 + within % 16];
  if (within < 16)
    byte = static_cast<uint8_t>((byte & 0xf0) | (code & 0x0f));
  else
    byte = static_cast<uint8_t>((byte & 0x0f) | (code << 4));
}

LLMC_FORMAT_HOST_DEVICE uint8_t getUint4(const uint8_t *row, int64_t l) {
  int64_t block = l / kUint4Block, within = l % kUint4Block;
  uint8_t byte = row[block * 16 + within % 16];
  return within < 16 ? byte & 0x0f : byte >> 4;
}

/// The float with IEEE bits `bits`.
LLMC_FORMAT_HOST_DEVICE float floatFromBits(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
#endif
}

/// The IEEE bits of `value`.
LLMC_FORMAT_HOST_DEVICE uint32_t floatBits(float value) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(value);
#else
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
#endif
}

/// The E4M3FN code nearest `value`: ties go to the even code; magnitudes
/// of 448 and above (and NaN) saturate to +-448. The compiler rounds fp8
/// weights with it, the CPU and CUDA kernels fp8 activations.
LLMC_FORMAT_HOST_DEVICE uint8_t floatToE4m3(float value) {
  uint32_t bits = floatBits(value);
  uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (!(floatFromBits(magnitude) < 448.0f))
    return sign | 0x7e;
  if (magnitude < 0x3c800000u) { // below 2^-6: subnormal steps of 2^-9
    float steps = floatFromBits(magnitude) * 512.0f;
#if defined(__CUDA_ARCH__)
    steps = rintf(steps);
#else
    steps = std::nearbyint(steps);
#endif
    return sign | static_cast<uint8_t>(steps);
  }
  // Keep three mantissa bits, rounding half to even; a carry moves into
  // the exponent. f32's exponent bias is 127, E4M3's 7.
  uint32_t kept = (magnitude + 0x7ffffu + ((magnitude >> 20) & 1u)) >> 20;
  return sign | static_cast<uint8_t>(kept - ((127u - 7u) << 3));
}

/// The symmetric int8 code of `scaled` (a value over its scale): nearest,
/// ties to even, clamped to -127..127. The compiler's int8 weights and the
/// kernels' int8 activations both round with it.
LLMC_FORMAT_HOST_DEVICE int8_t floatToInt8(float scaled) {
  float code = scaled < -127.0f ? -127.0f : scaled > 127.0f ? 127.0f : scaled;
#if defined(__CUDA_ARCH__)
  code = rintf(code);
#else
  // Adding and taking away 1.5 x 2^23 rounds to the nearest integer, ties
  // to even, in float arithmetic (|code| <= 127): what nearbyint does,
  // without its library call (tens of ns a value where the KV cache's
  // codes are written a row at a time).
  code = (code + 12582912.0f) - 12582912.0f;
#endif
  return static_cast<int8_t>(code);
}

/// The value of an fp8 code (no NaNs or infinities are produced by the
/// compiler; E4M3FN's 0x7f/0xff and E5M2's specials still decode).
LLMC_FORMAT_HOST_DEVICE float fp8ToFloat(uint8_t code, bool e4m3) {
  // Both are the top bits of a wider float: E5M2 of an f16, E4M3 of one
  // with a 4-bit exponent. Rebuild an f32 from sign, exponent, mantissa.
  int exponentBits = e4m3 ? 4 : 5, mantissaBits = e4m3 ? 3 : 2;
  int bias = e4m3 ? 7 : 15;
  uint32_t sign = (code >> 7) & 1;
  uint32_t exponent = (code >> mantissaBits) & ((1u << exponentBits) - 1);
  uint32_t mantissa = code & ((1u << mantissaBits) - 1);
  if (e4m3 && exponent == 15 && mantissa == 7)
    return floatFromBits(0x7fc00000);
  if (!e4m3 && exponent == 31)
    return floatFromBits(mantissa ? 0x7fc00000 : 0x7f800000 | (sign << 31));
  float value;
  if (exponent == 0) {
    value = static_cast<float>(mantissa) /
            static_cast<float>(1 << mantissaBits) *
            static_cast<float>(1.0 / (1ll << (bias - 1)));
  } else {
    value = floatFromBits(((exponent - bias + 127) << 23) |
                          (mantissa << (23 - mantissaBits)));
  }
  return sign ? -value : value;
}

/// Code `l` of a row as a number: int8 and uint4 as integers, fp8 as
/// its value. A weight is (this - zero) * scale.
LLMC_FORMAT_HOST_DEVICE float codeValue(QuantCodes codes, const uint8_t *row,
                                        int64_t l) {
  switch (codes) {
  case QuantCodes::int8:
    return static_cast<int8_t>(row[l]);
  case QuantCodes::uint4:
    return getUint4(row, l);
  case QuantCodes::fp8e4m3:
    return fp8ToFloat(row[l], true);
  case QuantCodes::fp8e5m2:
    return fp8ToFloat(row[l], false);
  }
  return 0;
}

} // namespace llmc::format

#endif // LLMC_RUNTIME_FORMAT_QUANTLAYOUT_H
