//===- ConvertElementwise.cpp - ONNX elementwise ops to llmc --------------===//
//
// Add Sub Mul Div Pow Max Min, comparisons, Where, float unary ops, Identity
// and Cast. Result types come from llmc's own broadcasting inference, so a
// broadcast error names the node.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/NodeImport.h"
#include "compiler/import/TensorImport.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace llmc::onnx_import {

using Results = FailureOr<SmallVector<Value>>;

/// Builds an elementwise op whose result broadcasts its operands.
template <typename OpTy>
static Results createBroadcasting(NodeImport &node, ValueRange operands,
                                  Type elementType,
                                  ArrayRef<NamedAttribute> attributes = {}) {
  SmallVector<Type, 1> inferred;
  if (failed(inferElementwiseResult(node.loc, operands, inferred)))
    return failure();
  Type resultType = buildTensorType(
      getDims(cast<RankedTensorType>(inferred.front())),
      elementType ? elementType
                  : cast<RankedTensorType>(inferred.front()).getElementType());
  Value result = OpTy::create(node.builder, node.loc, TypeRange{resultType},
                              operands, attributes)
                     ->getResult(0);
  return SmallVector<Value>{result};
}

/// Input 0, which the float-only elementwise ops require to be float.
static FailureOr<Value> floatInput(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  if (!isa<FloatType>(node.inputType(0).getElementType()))
    return node.error() << "llmc supports this op on float tensors only, got "
                        << node.inputType(0);
  return input;
}

template <typename OpTy> static Results convertBinary(NodeImport &node) {
  FailureOr<Value> lhs = node.input(0), rhs = node.input(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  if (node.inputs.size() != 2)
    return node.error() << "expects exactly two inputs";
  Value right = *rhs;
  // Pow may raise to an exponent of another type: compute in the base's.
  Type elementType = node.inputType(0).getElementType();
  if (getElementTypeOrSelf(right.getType()) != elementType)
    right = CastOp::create(
        node.builder, node.loc,
        buildTensorType(getDims(node.inputType(1)), elementType), right);
  return createBroadcasting<OpTy>(node, ValueRange{*lhs, right}, Type());
}

template <CompareKind kind> static Results convertCompare(NodeImport &node) {
  FailureOr<Value> lhs = node.input(0), rhs = node.input(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  return createBroadcasting<CompareOp>(
      node, ValueRange{*lhs, *rhs}, node.builder.getI1Type(),
      {node.builder.getNamedAttr(
          "kind", CompareKindAttr::get(node.builder.getContext(), kind))});
}

/// And, Or: boolean operands, broadcasting.
template <typename OpTy> static Results convertLogical(NodeImport &node) {
  FailureOr<Value> lhs = node.input(0), rhs = node.input(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  return createBroadcasting<OpTy>(node, ValueRange{*lhs, *rhs}, Type());
}

static Results convertNot(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  if (!node.inputType(0).getElementType().isInteger(1))
    return node.error() << "expects a bool tensor, got " << node.inputType(0);
  return SmallVector<Value>{NotOp::create(node.builder, node.loc, *input)};
}

static Results convertIsNaN(NodeImport &node) {
  FailureOr<Value> input = floatInput(node);
  if (failed(input))
    return failure();
  FailureOr<IsNanOp> op = createInferred<IsNanOp>(node, {*input});
  if (failed(op))
    return failure();
  return SmallVector<Value>{op->getResult()};
}

static Results convertWhere(NodeImport &node) {
  FailureOr<Value> condition = node.input(0), onTrue = node.input(1),
                   onFalse = node.input(2);
  if (failed(condition) || failed(onTrue) || failed(onFalse))
    return failure();
  SmallVector<Type, 1> values;
  if (failed(inferElementwiseResult(node.loc, {*onTrue, *onFalse}, values)))
    return failure();
  auto valueType = cast<RankedTensorType>(values.front());
  FailureOr<DimList> dims =
      broadcastDims(getDims(node.inputType(0)), getDims(valueType), node.loc);
  if (failed(dims))
    return failure();
  Value result =
      SelectOp::create(node.builder, node.loc,
                       buildTensorType(*dims, valueType.getElementType()),
                       *condition, *onTrue, *onFalse);
  return SmallVector<Value>{result};
}

template <typename OpTy> static Results convertUnary(NodeImport &node) {
  FailureOr<Value> input = floatInput(node);
  if (failed(input))
    return failure();
  return SmallVector<Value>{OpTy::create(node.builder, node.loc, *input)};
}

/// ONNX Gelu (opset 20): exact, or approximate = "tanh".
static Results convertGelu(NodeImport &node) {
  FailureOr<Value> input = floatInput(node);
  if (failed(input))
    return failure();
  std::string approximate = "none";
  if (const onnx::AttributeProto *attr = node.attribute("approximate"))
    approximate = attr->s();
  if (approximate != "none" && approximate != "tanh")
    return node.error() << "unknown approximate '" << approximate << "'";
  return SmallVector<Value>{
      GeluOp::create(node.builder, node.loc, *input, approximate == "tanh")};
}

static Results convertIdentity(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  return SmallVector<Value>{*input};
}

static Results convertCast(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  const onnx::AttributeProto *to = node.attribute("to");
  if (!to)
    return node.error() << "missing attribute 'to'";
  FailureOr<Type> elementType = importElementType(
      to->i(), node.builder.getContext(), node.loc, "Cast 'to'");
  if (failed(elementType))
    return failure();
  Value result = CastOp::create(
      node.builder, node.loc,
      buildTensorType(getDims(node.inputType(0)), *elementType), *input);
  return SmallVector<Value>{result};
}

void registerElementwiseConverters(ConverterMap &map) {
  map["Add"] = convertBinary<AddOp>;
  map["Sub"] = convertBinary<SubOp>;
  map["Mul"] = convertBinary<MulOp>;
  map["Div"] = convertBinary<DivOp>;
  map["Pow"] = convertBinary<PowOp>;
  map["Max"] = convertBinary<MaxOp>;
  map["Min"] = convertBinary<MinOp>;
  map["Equal"] = convertCompare<CompareKind::eq>;
  map["Less"] = convertCompare<CompareKind::lt>;
  map["LessOrEqual"] = convertCompare<CompareKind::le>;
  map["Greater"] = convertCompare<CompareKind::gt>;
  map["GreaterOrEqual"] = convertCompare<CompareKind::ge>;
  map["Where"] = convertWhere;
  map["And"] = convertLogical<AndOp>;
  map["Or"] = convertLogical<OrOp>;
  map["Not"] = convertNot;
  map["IsNaN"] = convertIsNaN;
  map["Cos"] = convertUnary<CosOp>;
  map["Sin"] = convertUnary<SinOp>;
  map["Neg"] = convertUnary<NegOp>;
  map["Abs"] = convertUnary<AbsOp>;
  map["Exp"] = convertUnary<ExpOp>;
  map["Log"] = convertUnary<LogOp>;
  map["Sqrt"] = convertUnary<SqrtOp>;
  map["Reciprocal"] = convertUnary<ReciprocalOp>;
  map["Tanh"] = convertUnary<TanhOp>;
  map["Erf"] = convertUnary<ErfOp>;
  map["Sigmoid"] = convertUnary<SigmoidOp>;
  map["Gelu"] = convertGelu;
  map["Identity"] = convertIdentity;
  map["Cast"] = convertCast;
}

} // namespace llmc::onnx_import
