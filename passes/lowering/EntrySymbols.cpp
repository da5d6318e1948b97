//===- EntrySymbols.cpp - how an entry point's symbolic extents are bound -===//

#include "passes/lowering/EntrySymbols.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace llmc {

SmallVector<SymbolBinding> bindEntrySymbols(func::FuncOp entry,
                                            int64_t maxBatch, int64_t maxSeq) {
  SmallVector<SymbolBinding> symbols;
  auto bound = [&](StringRef name) {
    return llvm::any_of(symbols,
                        [&](const SymbolBinding &s) { return s.name == name; });
  };
  for (auto [index, argument] : llvm::enumerate(entry.getArguments())) {
    auto name = entry.getArgAttrOfType<StringAttr>(index, "llmc.name");
    if (name && name.getValue() == "position") {
      if (!bound("past"))
        symbols.push_back({"past", static_cast<int64_t>(index), -1, maxSeq});
      continue;
    }
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type)
      continue;
    // @verify's ids take at most llmc.max_tokens tokens.
    auto maxTokens =
        entry.getArgAttrOfType<IntegerAttr>(index, "llmc.max_tokens");
    for (auto [axis, dim] : llvm::enumerate(getDims(type))) {
      if (!dim.isNamed() || dim.getName().getValue().contains(" + ") ||
          bound(dim.getName().getValue()))
        continue;
      int64_t most = axis == 0 ? maxBatch : maxSeq;
      // A paged cache's pool holds as many blocks as the runtime's memory
      // budget does (block numbers are i32); nothing is sized by it.
      if (dim.getName().getValue() == "kv_blocks")
        most = INT32_MAX;
      if (axis == 1 && maxTokens)
        most = std::min(most, maxTokens.getInt());
      symbols.push_back({dim.getName().str(), static_cast<int64_t>(index),
                         static_cast<int64_t>(axis), most});
    }
  }
  return symbols;
}

SmallVector<StringRef> symbolTerms(StringRef name) {
  SmallVector<StringRef> terms;
  llvm::SplitString(name, terms, " +");
  return terms;
}

int64_t elementBytes(Type elementType) {
  return std::max<int64_t>(1, (elementType.getIntOrFloatBitWidth() + 7) / 8);
}

FailureOr<int64_t> boundBytes(Type type, ArrayRef<SymbolBinding> symbols,
                              Location loc) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isIntOrFloat())
    return emitError(loc, "a plan value must be a ranked tensor of integers "
                          "or floats, not ")
           << type;
  FailureOr<SmallVector<int64_t>> shape = boundShape(type, symbols, loc);
  if (failed(shape))
    return failure();
  int64_t bytes = elementBytes(tensor.getElementType());
  for (int64_t extent : *shape)
    bytes *= extent;
  return bytes;
}

FailureOr<SmallVector<int64_t>>
boundShape(Type type, ArrayRef<SymbolBinding> symbols, Location loc) {
  if (auto weight = dyn_cast<QWeightType>(type))
    return SmallVector<int64_t>(weight.getShape());
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return emitError(loc, "a plan value must be a ranked tensor, not ") << type;
  SmallVector<int64_t> shape;
  for (const Dim &dim : getDims(tensor)) {
    if (dim.isStatic()) {
      shape.push_back(dim.getSize());
      continue;
    }
    if (dim.isUnknown())
      return emitError(loc, "an extent of ")
             << type << " is unknown, so its buffer cannot be planned";
    int64_t extent = 0;
    for (StringRef term : symbolTerms(dim.getName().getValue())) {
      const SymbolBinding *symbol = llvm::find_if(
          symbols, [&](const SymbolBinding &s) { return s.name == term; });
      if (symbol == symbols.end())
        return emitError(loc, "extent '")
               << term << "' of " << type
               << " is bound by no argument of the entry point";
      extent += symbol->bound;
    }
    shape.push_back(extent);
  }
  return shape;
}

} // namespace llmc
