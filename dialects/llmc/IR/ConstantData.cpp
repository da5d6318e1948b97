//===- ConstantData.cpp - the bytes behind a tensor constant --------------===//

#include "dialects/llmc/IR/ConstantData.h"

#include "runtime/format/Float16.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

std::optional<ArrayRef<char>> llmc::getRawConstantData(Attribute value) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(value)) {
    if (dense.getElementType().isInteger(1) || dense.isSplat())
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(value))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

DenseResourceElementsAttr llmc::makeResourceAttr(ShapedType type,
                                                 StringRef name,
                                                 ArrayRef<char> bytes,
                                                 size_t alignment) {
  return DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignment));
}

std::optional<std::vector<float>> llmc::getFloatConstantData(Attribute value) {
  auto elements = dyn_cast_or_null<ElementsAttr>(value);
  if (!elements)
    return std::nullopt;
  std::vector<float> out;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(value)) {
    for (const APFloat &element : dense.getValues<APFloat>()) {
      APFloat single = element;
      bool lost;
      single.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                     &lost);
      out.push_back(single.convertToFloat());
    }
    return out;
  }
  Type element = elements.getShapedType().getElementType();
  std::optional<ArrayRef<char>> raw = getRawConstantData(value);
  if (!raw || !(element.isF32() || element.isF16() || element.isBF16()))
    return std::nullopt;
  const int64_t width = element.getIntOrFloatBitWidth() / 8;
  if (int64_t(raw->size()) != elements.getNumElements() * width)
    return std::nullopt;
  for (int64_t i = 0; i < elements.getNumElements(); ++i) {
    if (element.isF32()) {
      float single;
      std::memcpy(&single, raw->data() + 4 * i, 4);
      out.push_back(single);
      continue;
    }
    uint16_t bits;
    std::memcpy(&bits, raw->data() + 2 * i, 2);
    out.push_back(element.isF16() ? format::halfToFloat(bits)
                                  : format::bfloat16ToFloat(bits));
  }
  return out;
}
