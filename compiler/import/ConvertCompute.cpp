//===- ConvertCompute.cpp - ONNX MatMul, reductions, norms to llmc --------===//

#include "compiler/import/NodeImport.h"

using namespace mlir;

namespace llmc::onnx_import {

using Results = FailureOr<SmallVector<Value>>;

static Results convertMatMul(NodeImport &node) {
  FailureOr<Value> lhs = node.input(0), rhs = node.input(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  FailureOr<MatmulOp> matmul = createInferred<MatmulOp>(node, {*lhs, *rhs});
  if (failed(matmul))
    return failure();
  return SmallVector<Value>{matmul->getResult()};
}

static Results convertSoftmax(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", -1), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return SmallVector<Value>{SoftmaxOp::create(
      node.builder, node.loc, *input, node.builder.getI64IntegerAttr(*axis))};
}

template <typename OpTy> static Results convertReduce(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  std::optional<SmallVector<int64_t>> axes = node.intsAttr("axes");
  if (node.hasInput(1)) {
    axes = node.constantInts(1);
    if (!axes)
      return node.error() << "axes must be a constant";
  }
  if (!axes || axes->empty()) {
    if (node.intAttr("noop_with_empty_axes", 0))
      return SmallVector<Value>{*input};
    axes.emplace();
    for (int64_t i = 0; i < rank; ++i)
      axes->push_back(i);
  }
  SmallVector<int64_t> normalized;
  for (int64_t axis : *axes) {
    FailureOr<int64_t> n = node.normalizeAxis(axis, rank);
    if (failed(n))
      return failure();
    normalized.push_back(*n);
  }
  llvm::sort(normalized);
  typename OpTy::Properties properties;
  properties.setAxes(node.builder.getDenseI64ArrayAttr(normalized));
  if (node.intAttr("keepdims", 1))
    properties.setKeepDims(node.builder.getUnitAttr());
  FailureOr<OpTy> reduce = createInferred<OpTy>(node, {*input}, properties);
  if (failed(reduce))
    return failure();
  return SmallVector<Value>{reduce->getResult()};
}

static Results convertLayerNormalization(NodeImport &node) {
  FailureOr<Value> input = node.input(0), scale = node.input(1);
  if (failed(input) || failed(scale))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  if (*axis != rank - 1)
    return node.error() << "normalization over axis " << *axis
                        << " (not the last) is not supported";
  for (int i = 1; i < node.node.output_size(); ++i)
    if (!node.node.output(i).empty())
      return node.error() << "the Mean and InvStdDev outputs are not "
                             "supported";
  Value bias = node.hasInput(2) ? node.inputs[2] : Value();
  Value result = LayerNormOp::create(
      node.builder, node.loc, *input, *scale, bias,
      node.builder.getF32FloatAttr(node.floatAttr("epsilon", 1e-5f)));
  return SmallVector<Value>{result};
}

void registerComputeConverters(ConverterMap &map) {
  map["MatMul"] = convertMatMul;
  map["Softmax"] = convertSoftmax;
  map["ReduceMean"] = convertReduce<ReduceMeanOp>;
  map["ReduceSum"] = convertReduce<ReduceSumOp>;
  map["ReduceMax"] = convertReduce<ReduceMaxOp>;
  map["LayerNormalization"] = convertLayerNormalization;
}

} // namespace llmc::onnx_import
