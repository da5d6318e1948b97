//===- ConvertShapeComputation.cpp - Shape, Constant and friends to llmc --===//
//
// Constant, Shape, ConstantOfShape and Range: what exporters use to compute
// shapes at run time. Constants fold here; the rest becomes llmc's
// shape-computation ops for llmc-fold-shapes.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/NodeImport.h"

using namespace mlir;

namespace llmc::onnx_import {

using Results = FailureOr<SmallVector<Value>>;

static Results convertConstant(NodeImport &node) {
  OpBuilder &b = node.builder;
  ElementsAttr value;
  if (const onnx::AttributeProto *tensor = node.attribute("value")) {
    FailureOr<ElementsAttr> imported = node.tensorAttr(tensor->t());
    if (failed(imported))
      return failure();
    value = *imported;
  } else if (const onnx::AttributeProto *f = node.attribute("value_float")) {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                   f->f());
  } else if (const onnx::AttributeProto *i = node.attribute("value_int")) {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                   static_cast<int64_t>(i->i()));
  } else if (const onnx::AttributeProto *fs = node.attribute("value_floats")) {
    SmallVector<float> floats(fs->floats().begin(), fs->floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(floats.size())}, b.getF32Type()),
        ArrayRef<float>(floats));
  } else if (std::optional<SmallVector<int64_t>> ints =
                 node.intsAttr("value_ints")) {
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(ints->size())}, b.getI64Type()),
        ArrayRef<int64_t>(*ints));
  } else {
    return node.error() << "supported forms are value, value_float, "
                           "value_int, value_floats and value_ints";
  }
  return SmallVector<Value>{ConstantOp::create(b, node.loc, value)};
}

static Results convertShape(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  FailureOr<ShapeOfOp> shape = createInferred<ShapeOfOp>(node, {*input});
  if (failed(shape))
    return failure();
  // Opset 15's start/end select a range of the dimensions, clamped.
  int64_t rank = node.inputType(0).getRank();
  auto clamp = [rank](int64_t i) {
    return std::clamp(i < 0 ? i + rank : i, int64_t(0), rank);
  };
  int64_t start = clamp(node.intAttr("start", 0));
  int64_t end = clamp(node.intAttr("end", rank));
  if (start == 0 && end == rank)
    return SmallVector<Value>{shape->getResult()};
  Value sliced = SliceOp::create(
      node.builder, node.loc,
      RankedTensorType::get({std::max<int64_t>(end - start, 0)},
                            node.builder.getI64Type()),
      shape->getResult(), node.builder.getDenseI64ArrayAttr({start}),
      node.builder.getDenseI64ArrayAttr({1}));
  return SmallVector<Value>{sliced};
}

static Results convertConstantOfShape(NodeImport &node) {
  FailureOr<Value> shape = node.input(0);
  if (failed(shape))
    return failure();
  OpBuilder &b = node.builder;
  // The fill value: a one-element tensor, float 0 by default.
  ElementsAttr fill =
      DenseElementsAttr::get(RankedTensorType::get({1}, b.getF32Type()), 0.0f);
  if (const onnx::AttributeProto *value = node.attribute("value")) {
    FailureOr<ElementsAttr> imported = node.tensorAttr(value->t());
    if (failed(imported))
      return failure();
    if (imported->getNumElements() != 1)
      return node.error() << "value must have one element";
    fill = *imported;
  }
  auto splat = cast<DenseElementsAttr>(fill);
  Type elementType = fill.getElementType();
  if (std::optional<SmallVector<int64_t>> dims = node.constantInts(0)) {
    auto type = RankedTensorType::get(*dims, elementType);
    return SmallVector<Value>{ConstantOp::create(
        b, node.loc,
        DenseElementsAttr::get(type, splat.getSplatValue<Attribute>()))};
  }
  RankedTensorType shapeType = node.inputType(0);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return node.error() << "shape must be 1-D with a static length";
  Value result = ConstantOfShapeOp::create(
      b, node.loc,
      buildTensorType(DimList(shapeType.getDimSize(0), Dim::unknown()),
                      elementType),
      *shape, fill);
  return SmallVector<Value>{result};
}

static Results convertRange(NodeImport &node) {
  FailureOr<Value> start = node.input(0), limit = node.input(1),
                   delta = node.input(2);
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  Type elementType = node.inputType(0).getElementType();
  if (!elementType.isInteger(64) && !elementType.isInteger(32))
    return node.error() << "only integer ranges are supported, got "
                        << elementType;
  std::optional<SmallVector<int64_t>> s = node.constantInts(0),
                                      l = node.constantInts(1),
                                      d = node.constantInts(2);
  if (s && l && d && (*d)[0] != 0) {
    SmallVector<APInt> values;
    for (int64_t v = (*s)[0]; (*d)[0] > 0 ? v < (*l)[0] : v > (*l)[0];
         v += (*d)[0])
      values.push_back(APInt(elementType.getIntOrFloatBitWidth(), v, true));
    auto type = RankedTensorType::get({int64_t(values.size())}, elementType);
    return SmallVector<Value>{ConstantOp::create(
        node.builder, node.loc, DenseElementsAttr::get(type, values))};
  }
  Value result = RangeOp::create(node.builder, node.loc,
                                 buildTensorType({Dim::unknown()}, elementType),
                                 *start, *limit, *delta);
  return SmallVector<Value>{result};
}

void registerShapeComputationConverters(ConverterMap &map) {
  map["Constant"] = convertConstant;
  map["Shape"] = convertShape;
  map["ConstantOfShape"] = convertConstantOfShape;
  map["Range"] = convertRange;
}

} // namespace llmc::onnx_import
