//===- DummyWeights.cpp - the weights of a shape-only artifact ------------===//

#include "runtime/exec/DummyWeights.h"

#include "runtime/format/Float16.h"

#include <cstring>

namespace llmc::runtime {

namespace {

/// SplitMix64: a fast, well-mixed sequence from any seed.
class Random {
public:
  explicit Random(int32_t seed)
      : state_(0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(seed) + 1)) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [low, high).
  float uniform(float low, float high) {
    return low + (high - low) * static_cast<float>(next() >> 40) /
                     static_cast<float>(1ull << 24);
  }

private:
  uint64_t state_;
};

} // namespace

bool fillDummyFloats(DType dtype, int32_t seed, std::vector<uint8_t> &bytes) {
  Random random(seed);
  switch (dtype) {
  case DType::f32:
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      float value = random.uniform(-0.05f, 0.05f);
      std::memcpy(bytes.data() + i, &value, 4);
    }
    return true;
  case DType::f16:
  case DType::bf16:
    for (size_t i = 0; i + 2 <= bytes.size(); i += 2) {
      float value = random.uniform(-0.05f, 0.05f);
      uint16_t bits = dtype == DType::f16 ? format::floatToHalf(value)
                                          : format::floatToBfloat16(value);
      std::memcpy(bytes.data() + i, &bits, 2);
    }
    return true;
  default:
    return false;
  }
}

void fillDummyQuant(const format::QuantSectionLayout &layout,
                    format::QuantCodes codes, bool halfScales, int32_t seed,
                    std::vector<uint8_t> &bytes) {
  Random random(seed);
  // fp8 codes keep clear of the NaN encodings (all exponent bits set).
  bool fp8 = codes == format::QuantCodes::fp8e4m3 ||
             codes == format::QuantCodes::fp8e5m2;
  for (int64_t i = 0; i < layout.scalesOffset; ++i)
    bytes[i] = static_cast<uint8_t>(random.next() & (fp8 ? 0xb7 : 0xff));
  int64_t scaleBytes = halfScales ? 2 : 4;
  for (int64_t at = layout.scalesOffset; at + scaleBytes <= layout.zerosOffset;
       at += scaleBytes) {
    float scale = random.uniform(0.001f, 0.01f);
    if (halfScales) {
      uint16_t bits = format::floatToHalf(scale);
      std::memcpy(bytes.data() + at, &bits, 2);
    } else {
      std::memcpy(bytes.data() + at, &scale, 4);
    }
  }
  // Zero points lie inside the codes' range (uint4: 0..15).
  for (int64_t at = layout.zerosOffset; at < layout.totalBytes; ++at)
    bytes[at] = static_cast<uint8_t>(
        random.next() & (codes == format::QuantCodes::uint4 ? 0x0f : 0xff));
}

} // namespace llmc::runtime
