//===- ConstantData.cpp - the bytes behind a tensor constant --------------===//

#include "dialects/llmc/IR/ConstantData.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

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
