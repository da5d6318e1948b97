//===- LlmcTypes.cpp - the !llmc.qweight quantized weight type ------------===//

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace llmc;

#define GET_TYPEDEF_CLASSES
#include "dialects/llmc/IR/LlmcTypes.cpp.inc"

void LlmcDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/llmc/IR/LlmcTypes.cpp.inc"
      >();
}

static bool isFloat8(Type type) {
  return isa<Float8E4M3FNType, Float8E5M2Type>(type);
}

// !llmc.qweight<64x192xui4, group 32, scale f16, zero ui4>
Type QWeightType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  Type storage, scale, zero;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/true) ||
      parser.parseType(storage) || parser.parseComma())
    return {};
  SMLoc granularityLoc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return {};
  std::optional<QuantGranularity> granularity =
      symbolizeQuantGranularity(keyword);
  if (!granularity) {
    parser.emitError(granularityLoc,
                     "expected 'per_tensor', 'per_channel' or 'group N'");
    return {};
  }
  int64_t groupSize = 0;
  if (*granularity == QuantGranularity::group && parser.parseInteger(groupSize))
    return {};
  if (parser.parseComma() || parser.parseKeyword("scale") ||
      parser.parseType(scale))
    return {};
  if (succeeded(parser.parseOptionalComma()) &&
      (parser.parseKeyword("zero") || parser.parseType(zero)))
    return {};
  if (parser.parseGreater())
    return {};
  return parser.getChecked<QWeightType>(loc, parser.getContext(), shape,
                                        storage, *granularity, groupSize, scale,
                                        zero);
}

void QWeightType::print(AsmPrinter &printer) const {
  printer << '<';
  for (int64_t size : getShape())
    printer << size << 'x';
  printer << getStorageType() << ", "
          << stringifyQuantGranularity(getGranularity());
  if (getGranularity() == QuantGranularity::group)
    printer << ' ' << getGroupSize();
  printer << ", scale " << getScaleType();
  if (hasZeroPoints())
    printer << ", zero " << getZeroType();
  printer << '>';
}

LogicalResult QWeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Type storageType,
                                  QuantGranularity granularity,
                                  int64_t groupSize, Type scaleType,
                                  Type zeroType) {
  if (shape.size() != 2)
    return emitError() << "quantized weight must be 2-D [out, in], got rank "
                       << shape.size();
  if (llvm::any_of(shape, [](int64_t d) { return d <= 0; }))
    return emitError() << "quantized weight dimensions must be static and "
                          "positive";
  auto intType = dyn_cast<IntegerType>(storageType);
  bool validInt = intType && !intType.isSignless() &&
                  (intType.getWidth() == 4 || intType.getWidth() == 8);
  if (!validInt && !isFloat8(storageType))
    return emitError() << "storage type must be si4, ui4, si8, ui8, "
                          "f8E4M3FN or f8E5M2, got "
                       << storageType;
  if (intType && intType.getWidth() == 4 && shape[1] % 2 != 0)
    return emitError() << "4-bit weights pack two per byte along in_features, "
                          "which must be even, got "
                       << shape[1];
  if (!isa<Float32Type, Float16Type, BFloat16Type>(scaleType))
    return emitError() << "scale type must be f32, f16 or bf16, got "
                       << scaleType;
  if (granularity == QuantGranularity::group) {
    if (groupSize <= 0)
      return emitError() << "group size must be positive, got " << groupSize;
    if (shape[1] % groupSize != 0)
      return emitError() << "group size " << groupSize
                         << " does not divide in_features " << shape[1];
  } else if (groupSize != 0) {
    return emitError() << "a group size is only meaningful with 'group' "
                          "granularity";
  }
  if (zeroType) {
    if (isFloat8(storageType))
      return emitError() << "fp8 weights take no zero point";
    if (zeroType != storageType && !isa<FloatType>(zeroType))
      return emitError() << "zero point type must be the storage type ("
                         << storageType << ") or a float type, got "
                         << zeroType;
  }
  return success();
}

unsigned QWeightType::getBitWidth() const {
  return getStorageType().getIntOrFloatBitWidth();
}

SmallVector<int64_t, 2> QWeightType::getScaleShape() const {
  switch (getGranularity()) {
  case QuantGranularity::per_tensor:
    return {1, 1};
  case QuantGranularity::per_channel:
    return {getOutFeatures(), 1};
  case QuantGranularity::group:
    return {getOutFeatures(), getInFeatures() / getGroupSize()};
  }
  llvm_unreachable("unknown granularity");
}

int64_t QWeightType::getInputsPerScale() const {
  return getGranularity() == QuantGranularity::group ? getGroupSize()
                                                     : getInFeatures();
}

RankedTensorType QWeightType::getDataTensorType() const {
  return RankedTensorType::get(getShape(), getStorageType());
}

RankedTensorType QWeightType::getScalesTensorType() const {
  return RankedTensorType::get(getScaleShape(), getScaleType());
}

RankedTensorType QWeightType::getZerosTensorType() const {
  if (!hasZeroPoints())
    return {};
  return RankedTensorType::get(getScaleShape(), getZeroType());
}
