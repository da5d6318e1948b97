//===- NodeImport.cpp - what a converter of one ONNX node sees ------------===//

#include "compiler/import/NodeImport.h"

#include "compiler/import/TensorImport.h"

using namespace mlir;

namespace llmc::onnx_import {

InFlightDiagnostic NodeImport::error() {
  return emitError(loc) << node.op_type() << ": ";
}

FailureOr<Value> NodeImport::input(unsigned index) {
  if (hasInput(index))
    return inputs[index];
  return error() << "expects input #" << index;
}

const onnx::AttributeProto *NodeImport::attribute(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t NodeImport::intAttr(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = attribute(name);
  return attr ? attr->i() : defaultValue;
}

float NodeImport::floatAttr(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *attr = attribute(name);
  return attr ? attr->f() : defaultValue;
}

std::optional<SmallVector<int64_t>> NodeImport::intsAttr(StringRef name) const {
  const onnx::AttributeProto *attr = attribute(name);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

FailureOr<ElementsAttr> NodeImport::tensorAttr(const onnx::TensorProto &t) {
  return importTensor(file, t, builder.getContext(), loc, inlineElementLimit,
                      node.output_size() ? node.output(0) : node.name());
}

std::optional<SmallVector<int64_t>>
NodeImport::constantInts(unsigned index) const {
  if (!hasInput(index))
    return std::nullopt;
  auto constant = inputs[index].getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseIntElementsAttr>(constant.getValue());
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &value : dense.getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

FailureOr<int64_t> NodeImport::normalizeAxis(int64_t axis, int64_t rank) {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    return error() << "axis " << axis << " is out of range for rank " << rank;
  return normalized;
}

const ConverterMap &getConverters() {
  static const ConverterMap converters = [] {
    ConverterMap map;
    registerElementwiseConverters(map);
    registerDataMovementConverters(map);
    registerShapeComputationConverters(map);
    registerComputeConverters(map);
    registerContribConverters(map);
    registerQuantConverters(map);
    return map;
  }();
  return converters;
}

} // namespace llmc::onnx_import
