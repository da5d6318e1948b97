//===- Matchers.cpp - small queries shared by the raising patterns --------===//

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "dialects/llmc/IR/ConstantData.h"

using namespace mlir;

namespace llmc {

std::optional<double> getSplatValue(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || !dense.isSplat())
    return std::nullopt;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble();
  if (isa<IntegerType>(dense.getElementType()))
    return static_cast<double>(dense.getSplatValue<APInt>().getSExtValue());
  return std::nullopt;
}

bool isSplat(Value value, double expected, double tolerance) {
  std::optional<double> splat = getSplatValue(value);
  return splat && std::abs(*splat - expected) <=
                      tolerance * std::max(1.0, std::abs(expected));
}

std::optional<std::vector<float>> getFloatElements(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto floatType = dyn_cast<FloatType>(constant.getValue().getElementType());
  if (!floatType)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      dense && dense.isSplat())
    return std::vector<float>(dense.getNumElements(),
                              dense.getSplatValue<APFloat>().convertToFloat());
  std::optional<ArrayRef<char>> data = getRawConstantData(constant.getValue());
  unsigned bytes = floatType.getWidth() / 8;
  if (!data || floatType.getWidth() % 8 != 0 || floatType.getWidth() > 32)
    return std::nullopt;
  // f32 directly; f16/bf16 through APFloat (masks of fp16 exports).
  std::vector<float> floats(data->size() / bytes);
  for (size_t i = 0; i < floats.size(); ++i) {
    uint64_t bits = 0;
    std::memcpy(&bits, data->data() + i * bytes, bytes);
    APFloat value(floatType.getFloatSemantics(),
                  APInt(floatType.getWidth(), bits));
    floats[i] = value.convertToFloat();
  }
  return floats;
}

bool holdSameWeight(Value weight, Value table) {
  auto tableConstant = table.getDefiningOp<ConstantOp>();
  if (!tableConstant || weight.getType() != table.getType())
    return false;
  std::optional<ArrayRef<char>> expected =
      getRawConstantData(tableConstant.getValue());
  if (auto constant = weight.getDefiningOp<ConstantOp>()) {
    std::optional<ArrayRef<char>> actual =
        getRawConstantData(constant.getValue());
    return constant.getValue() == tableConstant.getValue() ||
           (expected && actual && *expected == *actual);
  }
  // A transposed copy: weight[i][j] = copy[j][i].
  auto transpose = weight.getDefiningOp<TransposeOp>();
  auto copy = transpose ? transpose.getInput().getDefiningOp<ConstantOp>()
                        : ConstantOp();
  if (!copy || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return false;
  std::optional<ArrayRef<char>> actual = getRawConstantData(copy.getValue());
  auto type = cast<RankedTensorType>(table.getType());
  if (!expected || !actual || expected->size() != actual->size() ||
      type.getElementTypeBitWidth() % 8 != 0)
    return false;
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  size_t bytes = type.getElementTypeBitWidth() / 8;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (std::memcmp(expected->data() + (i * cols + j) * bytes,
                      actual->data() + (j * rows + i) * bytes, bytes) != 0)
        return false;
  return true;
}

Value skipPrefixSlices(Value value) {
  while (auto slice = value.getDefiningOp<SliceOp>()) {
    if (!llvm::all_of(slice.getOffsets(), [](int64_t o) { return o == 0; }) ||
        !llvm::all_of(slice.getStrides(), [](int64_t s) { return s == 1; }))
      break;
    value = slice.getInput();
  }
  return value;
}

bool isConstant(Value value) {
  return static_cast<bool>(value.getDefiningOp<ConstantOp>());
}

Value otherOperand(Operation *op, Value known) {
  if (op->getNumOperands() != 2)
    return Value();
  if (op->getOperand(0) == known)
    return op->getOperand(1);
  if (op->getOperand(1) == known)
    return op->getOperand(0);
  return Value();
}

std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

LogicalResult recordUnraised(PatternRewriter &rewriter, Operation *op,
                             const Twine &why) {
  std::string text = why.str();
  auto current = op->getAttrOfType<StringAttr>(kUnraisedAttrName);
  if (current && current.getValue() == text)
    return rewriter.notifyMatchFailure(op, text);
  rewriter.modifyOpInPlace(op, [&] {
    op->setAttr(kUnraisedAttrName, rewriter.getStringAttr(text));
  });
  return success();
}

} // namespace llmc
