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

/// alpha * A' B' + beta * C, with A' and B' optionally transposed 2-D
/// matrices: a matmul, then the scaling and the broadcast C as primitive ops.
static Results convertGemm(NodeImport &node) {
  FailureOr<Value> a = node.input(0), b = node.input(1);
  if (failed(a) || failed(b))
    return failure();
  if (node.inputType(0).getRank() != 2 || node.inputType(1).getRank() != 2)
    return node.error() << "A and B must be 2-D, got " << node.inputType(0)
                        << " and " << node.inputType(1);
  auto transpose = [&](Value value) -> FailureOr<Value> {
    TransposeOp::Properties properties;
    properties.setPermutation(node.builder.getDenseI64ArrayAttr({1, 0}));
    FailureOr<TransposeOp> op =
        createInferred<TransposeOp>(node, {value}, properties);
    return failed(op) ? FailureOr<Value>() : FailureOr<Value>(op->getResult());
  };
  if (node.intAttr("transA", 0) && failed(a = transpose(*a)))
    return failure();
  if (node.intAttr("transB", 0) && failed(b = transpose(*b)))
    return failure();
  FailureOr<MatmulOp> product = createInferred<MatmulOp>(node, {*a, *b});
  if (failed(product))
    return failure();
  Value result = product->getResult();
  Type elementType = node.inputType(0).getElementType();
  auto scaled = [&](Value value, float factor) -> FailureOr<Value> {
    if (factor == 1.0f)
      return value;
    Value constant = ConstantOp::create(
        node.builder, node.loc,
        DenseElementsAttr::get(RankedTensorType::get({}, elementType),
                               node.builder.getFloatAttr(elementType, factor)));
    FailureOr<MulOp> mul = createInferred<MulOp>(node, {value, constant});
    return failed(mul) ? FailureOr<Value>()
                       : FailureOr<Value>(mul->getResult());
  };
  FailureOr<Value> scaledProduct =
      scaled(result, node.floatAttr("alpha", 1.0f));
  if (failed(scaledProduct))
    return failure();
  result = *scaledProduct;
  if (node.hasInput(2)) {
    FailureOr<Value> c = scaled(node.inputs[2], node.floatAttr("beta", 1.0f));
    if (failed(c))
      return failure();
    FailureOr<AddOp> sum = createInferred<AddOp>(node, {result, *c});
    if (failed(sum))
      return failure();
    result = sum->getResult();
  }
  return SmallVector<Value>{result};
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

/// ONNX LayerNormalization normalizes over the dimensions from `axis` on;
/// llmc.layer_norm over the last one, so static trailing dimensions are
/// collapsed into one and restored afterwards. The optional Mean and
/// InvStdDev outputs are computed with primitive ops.
static Results convertLayerNormalization(NodeImport &node) {
  FailureOr<Value> input = node.input(0), scale = node.input(1);
  if (failed(input) || failed(scale))
    return failure();
  OpBuilder &b = node.builder;
  RankedTensorType type = node.inputType(0);
  Type elementType = type.getElementType();
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  float epsilon = node.floatAttr("epsilon", 1e-5f);
  DimList dims = getDims(type);
  int64_t features = 1;
  for (int64_t d = *axis; d < rank; ++d) {
    if (!dims[d].isStatic())
      return node.error() << "normalized dimensions must be static, got "
                          << type;
    features *= dims[d].getSize();
  }
  DimList collapsed(dims.begin(), dims.begin() + *axis);
  collapsed.push_back(Dim::fixed(features));
  auto reshape = [&](Value value, ArrayRef<Dim> to) -> Value {
    Type target = buildTensorType(to, elementType);
    return value.getType() == target
               ? value
               : ReshapeOp::create(b, node.loc, target, value).getResult();
  };
  Value x = reshape(*input, collapsed);
  Value weight = reshape(*scale, {Dim::fixed(features)});
  Value bias = node.hasInput(2)
                   ? reshape(node.inputs[2], {Dim::fixed(features)})
                   : Value();
  Value normalized = LayerNormOp::create(b, node.loc, x, weight, bias,
                                         b.getF32FloatAttr(epsilon));
  SmallVector<Value> results = {reshape(normalized, dims)};
  if (node.node.output_size() < 2)
    return results;

  // Mean and 1/sqrt(variance + epsilon), with the normalized dims kept as 1.
  int64_t last = collapsed.size() - 1;
  DimList reduced = collapsed;
  reduced.back() = Dim::fixed(1);
  auto mean = [&](Value value) -> Value {
    return ReduceMeanOp::create(
        b, node.loc, buildTensorType(reduced, elementType), value,
        b.getDenseI64ArrayAttr({last}), b.getUnitAttr());
  };
  Type collapsedType = buildTensorType(collapsed, elementType);
  Value average = mean(x);
  Value centered = SubOp::create(b, node.loc, collapsedType, x, average);
  Value squared = MulOp::create(b, node.loc, collapsedType, centered, centered);
  Value eps = ConstantOp::create(
      b, node.loc,
      DenseElementsAttr::get(RankedTensorType::get({}, elementType),
                             b.getFloatAttr(elementType, epsilon)));
  Type reducedType = buildTensorType(reduced, elementType);
  Value variance = AddOp::create(b, node.loc, reducedType, mean(squared), eps);
  Value inverse = RsqrtOp::create(b, node.loc, variance);
  DimList statistics(dims.begin(), dims.begin() + *axis);
  statistics.append(rank - *axis, Dim::fixed(1));
  results.push_back(reshape(average, statistics));
  results.push_back(reshape(inverse, statistics));
  return results;
}

/// onnxruntime's SimplifiedLayerNormalization (what its model builder and
/// optimizer emit for RMSNorm): over the last axis only.
static Results convertSimplifiedLayerNormalization(NodeImport &node) {
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
      return node.error() << "only the normalized output is supported";
  return SmallVector<Value>{RmsNormOp::create(
      node.builder, node.loc, *input, *scale,
      node.builder.getF32FloatAttr(node.floatAttr("epsilon", 1e-5f)))};
}

static Results convertCumSum(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  std::optional<SmallVector<int64_t>> axis = node.constantInts(1);
  if (!axis || axis->size() != 1)
    return node.error() << "axis must be a one-element constant";
  FailureOr<int64_t> normalized =
      node.normalizeAxis((*axis)[0], node.inputType(0).getRank());
  if (failed(normalized))
    return failure();
  OpBuilder &b = node.builder;
  return SmallVector<Value>{CumSumOp::create(
      b, node.loc, *input, b.getI64IntegerAttr(*normalized),
      node.intAttr("exclusive", 0) ? b.getUnitAttr() : UnitAttr(),
      node.intAttr("reverse", 0) ? b.getUnitAttr() : UnitAttr())};
}

void registerComputeConverters(ConverterMap &map) {
  map["CumSum"] = convertCumSum;
  map["SimplifiedLayerNormalization"] = convertSimplifiedLayerNormalization;
  map["MatMul"] = convertMatMul;
  map["Gemm"] = convertGemm;
  map["Softmax"] = convertSoftmax;
  map["ReduceMean"] = convertReduce<ReduceMeanOp>;
  map["ReduceSum"] = convertReduce<ReduceSumOp>;
  map["ReduceMax"] = convertReduce<ReduceMaxOp>;
  map["LayerNormalization"] = convertLayerNormalization;
}

} // namespace llmc::onnx_import
