//===- PackQuantWeight.cpp - a qconstant in the runtime's section layout --===//

#include "compiler/artifact/PackQuantWeight.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "runtime/format/Float16.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cstring>

using namespace mlir;

namespace llmc {
namespace {

/// Integer elements of `attr` (storage type `type`), sign-extended when
/// signed. Raw blobs hold one element per byte.
std::optional<std::vector<int32_t>> readInts(ElementsAttr attr,
                                             IntegerType type) {
  std::vector<int32_t> out;
  unsigned width = type.getWidth();
  bool isSigned = type.isSigned();
  auto fromByte = [&](uint8_t byte) -> int32_t {
    uint32_t bits = width == 4 ? byte & 0x0f : byte;
    if (isSigned && (bits & (1u << (width - 1))))
      return static_cast<int32_t>(bits) - (1 << width);
    return static_cast<int32_t>(bits);
  };
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &value : dense.getValues<APInt>())
      out.push_back(isSigned ? static_cast<int32_t>(value.getSExtValue())
                             : static_cast<int32_t>(value.getZExtValue()));
    return out;
  }
  std::optional<ArrayRef<char>> raw = getRawConstantData(attr);
  if (!raw || static_cast<int64_t>(raw->size()) != attr.getNumElements())
    return std::nullopt;
  for (char byte : *raw)
    out.push_back(fromByte(static_cast<uint8_t>(byte)));
  return out;
}

} // namespace

FailureOr<PackedQuantWeight> packQuantWeight(QConstantOp op) {
  QWeightType type = op.getType();
  PackedQuantWeight packed;
  packed.n = type.getOutFeatures();
  packed.k = type.getInFeatures();
  packed.group = type.getInputsPerScale();
  Type storage = type.getStorageType();
  auto intType = dyn_cast<IntegerType>(storage);
  if (!intType)
    packed.codes = isa<Float8E4M3FNType>(storage) ? format::QuantCodes::fp8e4m3
                                                  : format::QuantCodes::fp8e5m2;
  else
    packed.codes = intType.getWidth() == 4 ? format::QuantCodes::uint4
                                           : format::QuantCodes::int8;
  if (packed.codes == format::QuantCodes::uint4 &&
      (packed.group % format::kUint4Block != 0))
    return op.emitError("the CPU runtime needs 4-bit groups that are "
                        "multiples of ")
           << format::kUint4Block << ", got " << packed.group;
  if (type.hasZeroPoints() && !isa<IntegerType>(type.getZeroType()))
    return op.emitError("the CPU runtime takes integer zero points only, got ")
           << type.getZeroType();
  // Shifts that move unsigned 8-bit and signed 4-bit codes into the
  // runtime's int8 and uint4 ranges.
  int32_t shift = 0;
  if (intType && intType.getWidth() == 8 && intType.isUnsigned())
    shift = -128;
  if (intType && intType.getWidth() == 4 && intType.isSigned())
    shift = 8;
  packed.zeros = type.hasZeroPoints() || shift != 0 ||
                 packed.codes == format::QuantCodes::uint4;
  packed.halfScales = type.getScaleType().isF16();

  int64_t n = packed.n, k = packed.k, groups = k / packed.group;
  std::optional<std::vector<float>> scales =
      getFloatConstantData(op.getScales());
  std::optional<std::vector<int32_t>> codes, zeros;
  if (intType)
    codes = readInts(op.getData(), intType);
  if (type.hasZeroPoints())
    zeros = readInts(*op.getZeros(), cast<IntegerType>(type.getZeroType()));
  std::optional<ArrayRef<char>> rawCodes =
      intType ? std::nullopt : getRawConstantData(op.getData());
  if (!scales || (intType && !codes) || (type.hasZeroPoints() && !zeros) ||
      (!intType &&
       (!rawCodes || static_cast<int64_t>(rawCodes->size()) != n * k)))
    return op.emitError("a quantized weight without data (an IR printed "
                        "with --elide-weights?) cannot be written");

  format::QuantSectionLayout layout = format::quantSectionLayout(
      packed.codes, n, k, packed.group, packed.halfScales, packed.zeros);
  packed.bytes.assign(layout.totalBytes, 0);
  uint8_t *out = reinterpret_cast<uint8_t *>(packed.bytes.data());
  int64_t rowBytes = format::quantRowBytes(packed.codes, k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t l = 0; l < k; ++l) {
      int64_t at = r * k + l;
      if (!intType)
        out[r * rowBytes + l] = static_cast<uint8_t>((*rawCodes)[at]);
      else if (packed.codes == format::QuantCodes::uint4)
        format::setUint4(out + r * rowBytes, l,
                         static_cast<uint8_t>((*codes)[at] + shift));
      else
        out[r * rowBytes + l] =
            static_cast<uint8_t>(static_cast<int8_t>((*codes)[at] + shift));
    }
  // Scales and zeros: one per (row, group); per-tensor values repeat.
  bool perTensor = type.getGranularity() == QuantGranularity::per_tensor;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t at = r * groups + g, from = perTensor ? 0 : at;
      float scale = (*scales)[from];
      if (packed.halfScales) {
        uint16_t half = format::floatToHalf(scale);
        std::memcpy(out + layout.scalesOffset + 2 * at, &half, 2);
      } else {
        std::memcpy(out + layout.scalesOffset + 4 * at, &scale, 4);
      }
      if (packed.zeros) {
        int32_t zero = (zeros ? (*zeros)[from] : 0) + shift;
        out[layout.zerosOffset + at] = static_cast<uint8_t>(zero);
      }
    }
  return packed;
}

} // namespace llmc
