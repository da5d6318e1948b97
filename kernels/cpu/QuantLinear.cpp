//===- QuantLinear.cpp - int8/uint4/fp8 GEMV and GEMM on the CPU ----------===//

#include "kernels/cpu/QuantLinear.h"

#include "kernels/cpu/Linear.h"
#include "kernels/cpu/QuantGemvInt8.h"
#include "kernels/cpu/VectorMath.h"
#include "runtime/format/Float16.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

namespace llmc::kernels {

float QuantWeight::scale(int64_t row, int64_t g) const {
  int64_t at = row * groups() + g;
  if (halfScales)
    return format::halfToFloat(static_cast<const uint16_t *>(scales)[at]);
  return static_cast<const float *>(scales)[at];
}

__attribute__((target("avx512f"))) const float *
QuantWeight::scalesAvx512(int64_t first, int64_t rows, float *buffer) const {
  const int64_t count = rows * groups();
  if (!halfScales)
    return static_cast<const float *>(scales) + first * groups();
  const uint16_t *half =
      static_cast<const uint16_t *>(scales) + first * groups();
  for (int64_t g = 0; g < count; g += 16) {
    // The last partial 16 from a zero-padded copy: no read past the rows.
    uint16_t padded[16] = {};
    const uint16_t *from = half + g;
    if (count - g < 16) {
      std::memcpy(padded, from, (count - g) * sizeof(uint16_t));
      from = padded;
    }
    _mm512_storeu_ps(buffer + g, _mm512_cvtph_ps(_mm256_loadu_si256(
                                     reinterpret_cast<const __m256i *>(from))));
  }
  return buffer;
}

__attribute__((target("avx2,f16c"))) const float *
QuantWeight::scalesAvx2(int64_t first, int64_t rows, float *buffer) const {
  const int64_t count = rows * groups();
  if (!halfScales)
    return static_cast<const float *>(scales) + first * groups();
  const uint16_t *half =
      static_cast<const uint16_t *>(scales) + first * groups();
  int64_t g = 0;
  for (; g + 8 <= count; g += 8)
    _mm256_storeu_ps(buffer + g,
                     _mm256_cvtph_ps(_mm_loadu_si128(
                         reinterpret_cast<const __m128i *>(half + g))));
  for (; g < count; ++g)
    buffer[g] = format::halfToFloat(half[g]);
  return buffer;
}

int32_t QuantWeight::zero(int64_t row, int64_t g) const {
  if (!zeros)
    return 0;
  int64_t at = row * groups() + g;
  return codes == QuantCodes::int8 ? static_cast<int8_t>(zeros[at]) : zeros[at];
}

namespace {

/// Code l of a row as an integer (int8, uint4) or a real (fp8).
float codeValue(const QuantWeight &w, const uint8_t *row, int64_t l) {
  return format::codeValue(w.codes, row, l);
}

/// The definition, one weight row at a time: dequantize, then dot.
void quantLinearScalar(const float *x, const QuantWeight &w, int64_t begin,
                       int64_t end, const float *bias, float *y, int64_t m,
                       int64_t ldy, Workspace &work) {
  float *row = work.take<float>(w.k);
  for (int64_t r = begin; r < end; ++r) {
    dequantizeRows(w, r, r + 1, row);
    for (int64_t i = 0; i < m; ++i) {
      float sum = 0.0f;
      for (int64_t l = 0; l < w.k; ++l)
        sum += x[i * w.k + l] * row[l];
      y[i * ldy + (r - begin)] = sum + (bias ? bias[r] : 0.0f);
    }
  }
}

/// Prefill: blocks of weight rows dequantized to f32 and handed to the
/// fp32 GEMM, up to 1M weights (4 MiB) a block: every GEMM call packs all
/// of x again, so blocks as large as a thread's slice of the features
/// (llama-110m, 128-token prefill: 80-row blocks made int8 prefill 15 %
/// slower than fp32).
void quantGemm(CpuIsa isa, const float *x, const QuantWeight &w, int64_t begin,
               int64_t end, const float *bias, float *y, int64_t m, int64_t ldy,
               Workspace &work) {
  int64_t block = format::dequantBlockRows(w.k);
  float *rows = work.take<float>(block * w.k);
  for (int64_t r = begin; r < end; r += block) {
    int64_t count = std::min(block, end - r);
    dequantizeRowsWith(isa, w, r, r + count, rows, work);
    linearWith(isa, x, rows, bias ? bias + r : nullptr, y + (r - begin), m,
               count, w.k, ldy);
  }
}

//===----------------------------------------------------------------------===//
// AVX-512
//===----------------------------------------------------------------------===//

/// 16 codes from `codes` widened to f32 lanes (int8 and fp8). fp8 E4M3
/// comes out as value * 2^-8: its bits placed in an f16 (sign, then
/// exponent and mantissa shifted by 7) read as the same number scaled by
/// 2^(7-15) subnormals included; the caller's scale carries the 2^8.
template <QuantCodes Codes>
__attribute__((target("avx512f,avx2"))) __m512
widen16Avx512(const uint8_t *codes) {
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(codes));
  if constexpr (Codes == QuantCodes::int8) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
  } else {
    __m256i wide = _mm256_cvtepu8_epi16(bytes);
    __m256i half;
    if constexpr (Codes == QuantCodes::fp8e4m3)
      half = _mm256_or_si256(
          _mm256_slli_epi16(_mm256_and_si256(wide, _mm256_set1_epi16(0x80)), 8),
          _mm256_slli_epi16(_mm256_and_si256(wide, _mm256_set1_epi16(0x7f)),
                            7));
    else
      half = _mm256_slli_epi16(wide, 8);
    return _mm512_cvtph_ps(half);
  }
}

/// Each x row's sum over each group, [m, groups]: zero points enter as
/// -scale * zero * that sum, so the inner loops need no integer
/// subtraction.
void groupSums(const float *x, int64_t m, const QuantWeight &w, float *out) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t g = 0; g < w.groups(); ++g) {
      float sum = 0.0f;
      for (int64_t l = g * w.group; l < (g + 1) * w.group; ++l)
        sum += x[i * w.k + l];
      out[i * w.groups() + g] = sum;
    }
}

/// Decode for up to 4 input rows: each weight row's codes stream once, and
/// each group's products sum in `Rows` accumulators scaled once per group.
template <QuantCodes Codes, int Rows>
__attribute__((target("avx512f,avx2"))) void
gemvAvx512(const float *x, const QuantWeight &w, int64_t begin, int64_t end,
           const float *bias, float *y, int64_t ldy, Workspace &work) {
  const int64_t k = w.k, group = w.group, groups = w.groups();
  const float unit = Codes == QuantCodes::fp8e4m3 ? 256.0f : 1.0f;
  float *buffer = work.take<float>(groups + 16);
  float *sums = w.zeros ? work.take<float>(Rows * groups) : nullptr;
  if (w.zeros)
    groupSums(x, Rows, w, sums);
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *row = w.data + r * w.rowBytes();
    const float *scales = w.scalesAvx512(r, 1, buffer);
    __m512 total[Rows];
    float tail[Rows];
    for (int i = 0; i < Rows; ++i) {
      total[i] = _mm512_setzero_ps();
      tail[i] = 0.0f;
    }
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t first = g * group, last = first + group;
      __m512 acc[Rows];
      for (int i = 0; i < Rows; ++i)
        acc[i] = _mm512_setzero_ps();
      int64_t l = first;
      if constexpr (Codes == QuantCodes::uint4) {
        const __m512i low = _mm512_set1_epi32(0x0f);
        for (; l < last; l += 32) {
          __m512i bytes = _mm512_cvtepu8_epi32(
              _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + l / 2)));
          __m512 lo = _mm512_cvtepi32_ps(_mm512_and_si512(bytes, low));
          __m512 hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(bytes, 4));
          for (int i = 0; i < Rows; ++i) {
            acc[i] =
                _mm512_fmadd_ps(lo, _mm512_loadu_ps(x + i * k + l), acc[i]);
            acc[i] = _mm512_fmadd_ps(hi, _mm512_loadu_ps(x + i * k + l + 16),
                                     acc[i]);
          }
        }
      } else {
        for (; l + 16 <= last; l += 16) {
          __m512 values = widen16Avx512<Codes>(row + l);
          for (int i = 0; i < Rows; ++i)
            acc[i] =
                _mm512_fmadd_ps(values, _mm512_loadu_ps(x + i * k + l), acc[i]);
        }
      }
      const float scale = scales[g];
      const __m512 scaleVector = _mm512_set1_ps(scale * unit);
      for (int i = 0; i < Rows; ++i)
        total[i] = _mm512_fmadd_ps(acc[i], scaleVector, total[i]);
      // An 8-bit group's last (group % 16) weights, one at a time.
      for (; l < last; ++l) {
        float value = codeValue(w, row, l) * scale;
        for (int i = 0; i < Rows; ++i)
          tail[i] += value * x[i * k + l];
      }
      // Zero points (int8 and uint4 only: unit is 1 there).
      if (w.zeros) {
        float zero = static_cast<float>(w.zero(r, g)) * scale;
        for (int i = 0; i < Rows; ++i)
          tail[i] -= zero * sums[i * groups + g];
      }
    }
    for (int i = 0; i < Rows; ++i)
      y[i * ldy + (r - begin)] =
          _mm512_reduce_add_ps(total[i]) + tail[i] + (bias ? bias[r] : 0.0f);
  }
}

/// dequantizeRows on AVX-512, bit for bit: (code - zero) * scale with the
/// same float operations, 16 or 32 weights at a time.
template <QuantCodes Codes>
__attribute__((target("avx512f,avx512bw,avx512vl,avx2"))) void
dequantizeRowsAvx512(const QuantWeight &w, int64_t begin, int64_t end,
                     float *out, Workspace &work) {
  const int64_t k = w.k, groups = w.groups(), rowBytes = w.rowBytes();
  float *buffer = work.take<float>(groups + 16);
  // widen16Avx512 gives E4M3 codes as value * 2^-8: the scale carries 2^8
  // (exact, so the product is the same number).
  const float unit = Codes == QuantCodes::fp8e4m3 ? 256.0f : 1.0f;
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *row = w.data + r * rowBytes;
    float *to = out + (r - begin) * k;
    const float *scales = w.scalesAvx512(r, 1, buffer);
    for (int64_t g = 0; g < groups; ++g) {
      const __m512 scale = _mm512_set1_ps(scales[g] * unit),
                   zero = _mm512_set1_ps(float(w.zero(r, g)));
      int64_t l = g * w.group;
      const int64_t last = l + w.group;
      if constexpr (Codes == QuantCodes::uint4) {
        // 32 weights in 16 bytes: low nibbles first, then high (k and the
        // group are multiples of 32).
        for (; l < last; l += 32) {
          const __m512i bytes = _mm512_cvtepu8_epi32(
              _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + l / 2)));
          const __m512 lo = _mm512_cvtepi32_ps(
              _mm512_and_si512(bytes, _mm512_set1_epi32(0x0f)));
          const __m512 hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(bytes, 4));
          _mm512_storeu_ps(to + l,
                           _mm512_mul_ps(_mm512_sub_ps(lo, zero), scale));
          _mm512_storeu_ps(to + l + 16,
                           _mm512_mul_ps(_mm512_sub_ps(hi, zero), scale));
        }
      } else {
        for (; l + 16 <= last; l += 16)
          _mm512_storeu_ps(
              to + l,
              _mm512_mul_ps(_mm512_sub_ps(widen16Avx512<Codes>(row + l), zero),
                            scale));
        for (; l < last; ++l)
          to[l] = (codeValue(w, row, l) - float(w.zero(r, g))) * scales[g];
      }
    }
  }
}

template <QuantCodes Codes>
void quantLinearAvx512(const float *x, const QuantWeight &w, int64_t begin,
                       int64_t end, const float *bias, float *y, int64_t m,
                       int64_t ldy, Workspace &work) {
  switch (m) {
  case 1:
    return gemvAvx512<Codes, 1>(x, w, begin, end, bias, y, ldy, work);
  case 2:
    return gemvAvx512<Codes, 2>(x, w, begin, end, bias, y, ldy, work);
  case 3:
    return gemvAvx512<Codes, 3>(x, w, begin, end, bias, y, ldy, work);
  default:
    return gemvAvx512<Codes, 4>(x, w, begin, end, bias, y, ldy, work);
  }
}

//===----------------------------------------------------------------------===//
// AVX2
//===----------------------------------------------------------------------===//

/// 8 codes widened to f32 lanes, as widen16Avx512 does.
template <QuantCodes Codes>
__attribute__((target("avx2,fma,f16c"))) __m256 widen8Avx2(const uint8_t *codes,
                                                           __m256i zero) {
  __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(codes));
  if constexpr (Codes == QuantCodes::int8) {
    return _mm256_cvtepi32_ps(
        _mm256_sub_epi32(_mm256_cvtepi8_epi32(bytes), zero));
  } else {
    __m128i wide = _mm_cvtepu8_epi16(bytes);
    __m128i half;
    if constexpr (Codes == QuantCodes::fp8e4m3)
      half = _mm_or_si128(
          _mm_slli_epi16(_mm_and_si128(wide, _mm_set1_epi16(0x80)), 8),
          _mm_slli_epi16(_mm_and_si128(wide, _mm_set1_epi16(0x7f)), 7));
    else
      half = _mm_slli_epi16(wide, 8);
    return _mm256_cvtph_ps(half);
  }
}

/// Row r's group scales as f32 (times `unit`) and zero points as int32
/// into `scales` and `zeros` (room for groups() each): the group loop then
/// reads them directly instead of converting one per group.
__attribute__((target("avx2,fma,f16c"))) void
rowScalesAvx2(const QuantWeight &w, int64_t r, float unit, float *scales,
              int32_t *zeros) {
  const int64_t groups = w.groups();
  const float *converted = w.scalesAvx2(r, 1, scales);
  for (int64_t g = 0; g < groups; ++g) {
    scales[g] = converted[g] * unit;
    zeros[g] = w.zero(r, g);
  }
}

/// Room for a row's scales and zero points (rowScalesAvx2).
std::pair<float *, int32_t *> rowScaleRoom(Workspace &work, int64_t groups) {
  float *scales = work.take<float>(groups + 16);
  return {scales, work.take<int32_t>(groups)};
}

/// 32 uint4 codes of `codes` (16 bytes) minus `zero` as f32, in order.
__attribute__((target("avx2,fma"))) inline void
widenUint4Avx2(const uint8_t *codes, __m256i zero, __m256 parts[4]) {
  const __m256i low = _mm256_set1_epi32(0x0f);
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(codes));
  __m256i first8 = _mm256_cvtepu8_epi32(bytes);
  __m256i second8 = _mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8));
  parts[0] =
      _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(first8, low), zero));
  parts[1] = _mm256_cvtepi32_ps(
      _mm256_sub_epi32(_mm256_and_si256(second8, low), zero));
  parts[2] =
      _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(first8, 4), zero));
  parts[3] =
      _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(second8, 4), zero));
}

/// dequantizeRows on AVX2, bit for bit: the code minus the zero is exact in
/// integers, and fp8's 2^-8 comes back exactly through the scale.
template <QuantCodes Codes>
__attribute__((target("avx2,fma,f16c"))) void
dequantizeRowsAvx2(const QuantWeight &w, int64_t begin, int64_t end, float *out,
                   Workspace &work) {
  const int64_t k = w.k, groups = w.groups(), rowBytes = w.rowBytes();
  const float unit = Codes == QuantCodes::fp8e4m3 ? 256.0f : 1.0f;
  const auto [scales, zeros] = rowScaleRoom(work, groups);
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *row = w.data + r * rowBytes;
    float *to = out + (r - begin) * k;
    rowScalesAvx2(w, r, unit, scales, zeros);
    for (int64_t g = 0; g < groups; ++g) {
      const __m256 scale = _mm256_set1_ps(scales[g]);
      const __m256i zero = _mm256_set1_epi32(zeros[g]);
      int64_t l = g * w.group;
      const int64_t last = l + w.group;
      if constexpr (Codes == QuantCodes::uint4) {
        for (; l < last; l += 32) {
          __m256 parts[4];
          widenUint4Avx2(row + l / 2, zero, parts);
          for (int p = 0; p < 4; ++p)
            _mm256_storeu_ps(to + l + 8 * p, _mm256_mul_ps(parts[p], scale));
        }
      } else {
        for (; l + 8 <= last; l += 8)
          _mm256_storeu_ps(
              to + l, _mm256_mul_ps(widen8Avx2<Codes>(row + l, zero), scale));
        for (; l < last; ++l)
          to[l] = (codeValue(w, row, l) - float(zeros[g])) * (scales[g] / unit);
      }
    }
  }
}

template <QuantCodes Codes, int Rows>
__attribute__((target("avx2,fma,f16c"))) void
gemvAvx2(const float *x, const QuantWeight &w, int64_t begin, int64_t end,
         const float *bias, float *y, int64_t ldy, Workspace &work) {
  const int64_t k = w.k, group = w.group, groups = w.groups();
  const float unit = Codes == QuantCodes::fp8e4m3 ? 256.0f : 1.0f;
  const auto [scales, zeros] = rowScaleRoom(work, groups);
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *row = w.data + r * w.rowBytes();
    rowScalesAvx2(w, r, unit, scales, zeros);
    __m256 total[Rows];
    float tail[Rows];
    for (int i = 0; i < Rows; ++i) {
      total[i] = _mm256_setzero_ps();
      tail[i] = 0.0f;
    }
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t first = g * group, last = first + group;
      const int32_t zero = zeros[g];
      const __m256i zeroVector = _mm256_set1_epi32(zero);
      __m256 acc[Rows];
      for (int i = 0; i < Rows; ++i)
        acc[i] = _mm256_setzero_ps();
      int64_t l = first;
      if constexpr (Codes == QuantCodes::uint4) {
        for (; l < last; l += 32) {
          __m256 parts[4];
          widenUint4Avx2(row + l / 2, zeroVector, parts);
          for (int i = 0; i < Rows; ++i)
            for (int p = 0; p < 4; ++p)
              acc[i] = _mm256_fmadd_ps(
                  parts[p], _mm256_loadu_ps(x + i * k + l + 8 * p), acc[i]);
        }
      } else {
        for (; l + 8 <= last; l += 8) {
          __m256 values = widen8Avx2<Codes>(row + l, zeroVector);
          for (int i = 0; i < Rows; ++i)
            acc[i] =
                _mm256_fmadd_ps(values, _mm256_loadu_ps(x + i * k + l), acc[i]);
        }
      }
      const __m256 scaleVector = _mm256_set1_ps(scales[g]);
      for (int i = 0; i < Rows; ++i)
        total[i] = _mm256_fmadd_ps(acc[i], scaleVector, total[i]);
      for (; l < last; ++l) {
        float value = (codeValue(w, row, l) - zero) * (scales[g] / unit);
        for (int i = 0; i < Rows; ++i)
          tail[i] += value * x[i * k + l];
      }
    }
    for (int i = 0; i < Rows; ++i)
      y[i * ldy + (r - begin)] =
          horizontalSum(total[i]) + tail[i] + (bias ? bias[r] : 0.0f);
  }
}

template <QuantCodes Codes>
void quantLinearAvx2(const float *x, const QuantWeight &w, int64_t begin,
                     int64_t end, const float *bias, float *y, int64_t m,
                     int64_t ldy, Workspace &work) {
  switch (m) {
  case 1:
    return gemvAvx2<Codes, 1>(x, w, begin, end, bias, y, ldy, work);
  case 2:
    return gemvAvx2<Codes, 2>(x, w, begin, end, bias, y, ldy, work);
  case 3:
    return gemvAvx2<Codes, 3>(x, w, begin, end, bias, y, ldy, work);
  default:
    return gemvAvx2<Codes, 4>(x, w, begin, end, bias, y, ldy, work);
  }
}

using GemvFn = void (*)(const float *, const QuantWeight &, int64_t, int64_t,
                        const float *, float *, int64_t, int64_t, Workspace &);

/// `isa` as the quantized kernels take it: their AVX2 paths convert fp16
/// scales with F16C, so AVX2 without it runs the portable code.
CpuIsa quantIsa(CpuIsa isa) {
  return isa == CpuIsa::avx2 && !hostCpuFeatures().f16c ? CpuIsa::scalar : isa;
}

/// fn(std::integral_constant<QuantCodes, codes>{}): a kernel template
/// instantiated for the codes known only at run time.
template <typename Fn> decltype(auto) withCodes(QuantCodes codes, Fn fn) {
  switch (codes) {
  case QuantCodes::int8:
    return fn(std::integral_constant<QuantCodes, QuantCodes::int8>{});
  case QuantCodes::uint4:
    return fn(std::integral_constant<QuantCodes, QuantCodes::uint4>{});
  case QuantCodes::fp8e4m3:
    return fn(std::integral_constant<QuantCodes, QuantCodes::fp8e4m3>{});
  case QuantCodes::fp8e5m2:
    break;
  }
  return fn(std::integral_constant<QuantCodes, QuantCodes::fp8e5m2>{});
}

GemvFn gemvFor(CpuIsa isa, QuantCodes codes) {
  return withCodes(codes, [&](auto c) -> GemvFn {
    return isa == CpuIsa::avx512 ? quantLinearAvx512<decltype(c)::value>
                                 : quantLinearAvx2<decltype(c)::value>;
  });
}

} // namespace

void roundToE4m3(const float *x, int64_t n, float scale, float *out) {
  const float inverse = 1.0f / scale;
  for (int64_t i = 0; i < n; ++i)
    out[i] =
        format::fp8ToFloat(format::floatToE4m3(x[i] * inverse), true) * scale;
}

void roundToInt8Rows(const float *x, int64_t rows, int64_t k, float *out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x + r * k;
    float largest = 0.0f;
    for (int64_t l = 0; l < k; ++l)
      largest = std::max(largest, std::fabs(row[l]));
    const float scale = largest > 0.0f ? largest / 127.0f : 1.0f;
    const float inverse = 1.0f / scale;
    for (int64_t l = 0; l < k; ++l)
      out[r * k + l] = format::floatToInt8(row[l] * inverse) * scale;
  }
}

void dequantizeRows(const QuantWeight &w, int64_t begin, int64_t end,
                    float *out) {
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *row = w.data + r * w.rowBytes();
    float *to = out + (r - begin) * w.k;
    for (int64_t g = 0; g < w.groups(); ++g) {
      float scale = w.scale(r, g);
      int32_t zero = w.zero(r, g);
      for (int64_t l = g * w.group, last = l + w.group; l < last; ++l)
        to[l] = (codeValue(w, row, l) - zero) * scale;
    }
  }
}

void dequantizeRowsWith(CpuIsa isa, const QuantWeight &w, int64_t begin,
                        int64_t end, float *out, Workspace work) {
  isa = quantIsa(isa);
  if (isa == CpuIsa::avx2)
    return withCodes(w.codes, [&](auto c) {
      dequantizeRowsAvx2<decltype(c)::value>(w, begin, end, out, work);
    });
  if (isa != CpuIsa::avx512)
    return dequantizeRows(w, begin, end, out);
  withCodes(w.codes, [&](auto c) {
    dequantizeRowsAvx512<decltype(c)::value>(w, begin, end, out, work);
  });
}

bool int8GemvApplies(CpuIsa isa, const QuantWeight &w) {
  if (isa == CpuIsa::avx2)
    return w.packed; // packed only where packsForAvx2 held
  const CpuFeatures &cpu = hostCpuFeatures();
  // A VPDPBUSD chunk is 64 int8 or 128 uint4 weights: its lanes find
  // their group's scale when groups are whole chunks or split one evenly
  // (QuantGemvVnni.cpp), not when a group ends inside a chunk (int8 in
  // groups of 96, or per channel with k = 288).
  const int64_t chunk = w.codes == QuantCodes::uint4 ? 128 : 64;
  return isa == CpuIsa::avx512 && cpu.avx512f && cpu.avx512bw && cpu.avx512vl &&
         cpu.avx512vnni &&
         (w.codes == QuantCodes::int8 || w.codes == QuantCodes::uint4) &&
         w.k % 32 == 0 && w.group % 32 == 0 &&
         (w.group % chunk == 0 || chunk % w.group == 0);
}

void quantLinearWith(CpuIsa isa, bool int8Activations, const float *x,
                     const QuantWeight &w, int64_t begin, int64_t end,
                     const float *bias, float *y, int64_t m, int64_t ldy,
                     Workspace work) {
  isa = quantIsa(isa);
  if (m > format::kGemvRows)
    return quantGemm(isa, x, w, begin, end, bias, y, m, ldy, work);
  if (int8Activations && isa == CpuIsa::avx512 && int8GemvApplies(isa, w))
    return quantGemvVnni(x, w, begin, end, bias, y, m, ldy, work);
  if (isa == CpuIsa::scalar)
    return quantLinearScalar(x, w, begin, end, bias, y, m, ldy, work);
  gemvFor(isa, w.codes)(x, w, begin, end, bias, y, m, ldy, work);
}

void quantLinear(const float *x, const QuantWeight &w, int64_t begin,
                 int64_t end, const float *bias, float *y, int64_t m,
                 int64_t ldy, bool exactInput, Workspace work) {
  static const CpuIsa isa = selectedCpuIsa();
  static const bool rounded = selectedDecodeActivationsRounded();
  quantLinearWith(isa, rounded && !exactInput, x, w, begin, end, bias, y, m,
                  ldy, work);
}

} // namespace llmc::kernels
