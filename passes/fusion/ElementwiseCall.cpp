//===- ElementwiseCall.cpp - a plan call as an elementwise program --------===//

#include "passes/fusion/ElementwiseCall.h"

#include "runtime/format/ElementwiseProgram.h"

using namespace mlir;

namespace llmc {

namespace {

constexpr StringLiteral kFused = "fused_elementwise";

bool isScalar(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() && tensor.getNumElements() == 1;
}

} // namespace

std::optional<ElementwiseCall> asElementwiseCall(plan::CallOp call) {
  if (call.getNumResults() != 1 || call.getAliases() || call.getAbsent())
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(call.getResult(0).getType());
  if (!type || !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  for (Value operand : call.getArgs()) {
    auto operandType = dyn_cast<RankedTensorType>(operand.getType());
    if (!operandType || operandType.getElementType() != type.getElementType() ||
        (operandType != type && !isScalar(operandType)))
      return std::nullopt;
  }
  ElementwiseCall program;
  program.inputs.assign(call.getArgs().begin(), call.getArgs().end());
  if (call.getKernel() == kFused) {
    auto code = call.getParams().getAs<DenseI64ArrayAttr>("program");
    if (!code)
      return std::nullopt;
    program.code.assign(code.asArrayRef().begin(), code.asArrayRef().end());
    return program;
  }
  const format::ElementwiseOpInfo *info =
      format::findElementwiseOp(call.getKernel().str().c_str());
  if (!info || !call.getParams().empty() ||
      static_cast<int>(call.getNumOperands()) != info->arity)
    return std::nullopt;
  program.code = {static_cast<int64_t>(info->opcode), 0,
                  info->arity == 2 ? 1 : 0};
  return program;
}

} // namespace llmc
