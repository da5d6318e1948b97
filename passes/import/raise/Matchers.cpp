//===- Matchers.cpp - small queries shared by the raising patterns --------===//

#include "passes/import/raise/Matchers.h"

#include "dialects/llmc/IR/LlmcOps.h"

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

} // namespace llmc
