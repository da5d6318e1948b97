//===- QuantMath.cpp - rounding real weights to codes ---------------------===//

#include "passes/quant/QuantMath.h"

#include "runtime/format/Float16.h"
#include "runtime/format/QuantLayout.h"

#include <algorithm>
#include <cmath>

namespace llmc::quant {

float roundToHalf(float value) {
  return format::halfToFloat(format::floatToHalf(value));
}

GroupParams int4Params(float low, float high, bool zeroPoint) {
  GroupParams params;
  if (zeroPoint) {
    low = std::min(low, 0.0f);
    high = std::max(high, 0.0f);
    float scale = roundToHalf((high - low) / kInt4Max);
    if (!(scale > 0.0f))
      return {1.0f, 0};
    params.scale = scale;
    params.zero = std::clamp<int32_t>(
        static_cast<int32_t>(std::nearbyint(-low / scale)), 0, kInt4Max);
    return params;
  }
  float magnitude = std::max(std::fabs(low), std::fabs(high));
  float scale = roundToHalf(magnitude / 7.5f);
  params.scale = scale > 0.0f ? scale : 1.0f;
  params.zero = 8;
  return params;
}

std::pair<float, float> int4Range(const float *values, int64_t count,
                                  bool zeroPoint) {
  auto [low, high] = std::minmax_element(values, values + count);
  if (zeroPoint)
    return {*low, *high};
  float magnitude = std::max(std::fabs(*low), std::fabs(*high));
  return {-magnitude, magnitude};
}

int32_t quantizeCode(float w, const GroupParams &params, int32_t maxCode) {
  int32_t code =
      static_cast<int32_t>(std::nearbyint(w / params.scale)) + params.zero;
  return std::clamp<int32_t>(code, 0, maxCode);
}

Int4Matrix quantizeInt4Rtn(const float *w, int64_t n, int64_t k, int64_t group,
                           bool zeroPoint) {
  Int4Matrix out;
  out.codes.resize(n * k);
  int64_t groups = k / group;
  out.scales.resize(n * groups);
  out.zeros.resize(n * groups);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const float *values = w + r * k + g * group;
      auto [low, high] = int4Range(values, group, zeroPoint);
      GroupParams params = int4Params(low, high, zeroPoint);
      out.scales[r * groups + g] = params.scale;
      out.zeros[r * groups + g] = params.zero;
      for (int64_t l = 0; l < group; ++l)
        out.codes[r * k + g * group + l] =
            static_cast<uint8_t>(quantizeCode(values[l], params, kInt4Max));
    }
  return out;
}

std::vector<float> dequantizeInt4(const Int4Matrix &q, int64_t n, int64_t k,
                                  int64_t group) {
  std::vector<float> out(n * k);
  int64_t groups = k / group;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t l = 0; l < k; ++l) {
      int64_t g = r * groups + l / group;
      out[r * k + l] = (q.codes[r * k + l] - q.zeros[g]) * q.scales[g];
    }
  return out;
}

namespace {
/// Each row's largest magnitude over `limit` (1 for an all-zero row).
std::vector<float> rowScales(const float *w, int64_t n, int64_t k,
                             float limit) {
  std::vector<float> scales(n);
  for (int64_t r = 0; r < n; ++r) {
    float magnitude = 0.0f;
    for (int64_t l = 0; l < k; ++l)
      magnitude = std::max(magnitude, std::fabs(w[r * k + l]));
    scales[r] = magnitude > 0.0f ? magnitude / limit : 1.0f;
  }
  return scales;
}
} // namespace

void quantizeInt8Rows(const float *w, int64_t n, int64_t k,
                      std::vector<int8_t> &codes, std::vector<float> &scales) {
  codes.resize(n * k);
  scales = rowScales(w, n, k, 127.0f);
  for (int64_t r = 0; r < n; ++r) {
    float scale = scales[r];
    for (int64_t l = 0; l < k; ++l)
      codes[r * k + l] = format::floatToInt8(w[r * k + l] / scale);
  }
}

void quantizeFp8Rows(const float *w, int64_t n, int64_t k,
                     std::vector<uint8_t> &codes, std::vector<float> &scales) {
  codes.resize(n * k);
  scales = rowScales(w, n, k, 448.0f);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t l = 0; l < k; ++l)
      codes[r * k + l] = format::floatToE4m3(w[r * k + l] / scales[r]);
}

} // namespace llmc::quant
