//===- LlmcPrimitiveOps.cpp - verifiers, inference and folders ------------===//
//
// The ONNX-level layer of the llmc dialect (see LlmcPrimitiveOps.td).
//
//===----------------------------------------------------------------------===//

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Dialect/CommonFolders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace llmc;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The verifier check of an op's `axis` attribute.
static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  return success();
}

static LogicalResult checkAxis(std::optional<Location> loc, int64_t axis,
                               int64_t rank) {
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             rank);
  return success();
}

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  inferred.push_back(adaptor.getValue().getType());
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Folds `x op c` to `x` when c is a splat of `identity` and the op does not
/// broadcast x.
static OpFoldResult foldRightIdentity(Value lhs, Attribute rhsAttr,
                                      Type resultType, double identity) {
  if (lhs.getType() != resultType)
    return {};
  auto splat = dyn_cast_or_null<SplatElementsAttr>(rhsAttr);
  if (!splat)
    return {};
  Type elementType = splat.getElementType();
  if (isa<FloatType>(elementType) &&
      splat.getSplatValue<APFloat>().convertToDouble() == identity)
    return lhs;
  if (isa<IntegerType>(elementType) &&
      splat.getSplatValue<APInt>().getSExtValue() ==
          static_cast<int64_t>(identity))
    return lhs;
  return {};
}

/// Evaluates a binary op on two constants of the result type.
template <typename FloatFn, typename IntFn>
static OpFoldResult foldConstants(Operation *op, ArrayRef<Attribute> operands,
                                  FloatFn floatFn, IntFn intFn) {
  Type resultType = op->getResult(0).getType();
  if (op->getOperand(0).getType() != resultType ||
      op->getOperand(1).getType() != resultType)
    return {};
  if (isa<FloatType>(getElementTypeOrSelf(resultType)))
    return constFoldBinaryOp<FloatAttr>(operands, resultType, floatFn);
  return constFoldBinaryOp<IntegerAttr>(operands, resultType, intFn);
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldConstants(
          *this, adaptor.getOperands(),
          [](const APFloat &a, const APFloat &b) { return a + b; },
          [](const APInt &a, const APInt &b) { return a + b; }))
    return folded;
  if (OpFoldResult folded =
          foldRightIdentity(getLhs(), adaptor.getRhs(), getType(), 0.0))
    return folded;
  return foldRightIdentity(getRhs(), adaptor.getLhs(), getType(), 0.0);
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldConstants(
          *this, adaptor.getOperands(),
          [](const APFloat &a, const APFloat &b) { return a - b; },
          [](const APInt &a, const APInt &b) { return a - b; }))
    return folded;
  return foldRightIdentity(getLhs(), adaptor.getRhs(), getType(), 0.0);
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldConstants(
          *this, adaptor.getOperands(),
          [](const APFloat &a, const APFloat &b) { return a * b; },
          [](const APInt &a, const APInt &b) { return a * b; }))
    return folded;
  if (OpFoldResult folded =
          foldRightIdentity(getLhs(), adaptor.getRhs(), getType(), 1.0))
    return folded;
  return foldRightIdentity(getRhs(), adaptor.getLhs(), getType(), 1.0);
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  // Integer division by zero has no value to fold to: leave it to run time.
  if (isa<FloatType>(getElementTypeOrSelf(getType())))
    if (OpFoldResult folded = constFoldBinaryOp<FloatAttr>(
            adaptor.getOperands(), getType(),
            [](const APFloat &a, const APFloat &b) { return a / b; });
        folded && getLhs().getType() == getType() &&
        getRhs().getType() == getType())
      return folded;
  return foldRightIdentity(getLhs(), adaptor.getRhs(), getType(), 1.0);
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  SmallVector<Type, 1> broadcast;
  if (failed(inferElementwiseResult(loc, {adaptor.getLhs(), adaptor.getRhs()},
                                    broadcast)))
    return failure();
  inferred.push_back(
      buildTensorType(getDims(cast<RankedTensorType>(broadcast.front())),
                      IntegerType::get(context, 1)));
  return success();
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  SmallVector<Type, 1> values;
  if (failed(inferElementwiseResult(
          loc, {adaptor.getOnTrue(), adaptor.getOnFalse()}, values)))
    return failure();
  auto valueType = cast<RankedTensorType>(values.front());
  auto conditionType = tensorType(adaptor.getCondition());
  FailureOr<DimList> dims =
      broadcastDims(getDims(conditionType), getDims(valueType), loc);
  if (failed(dims))
    return failure();
  inferred.push_back(buildTensorType(*dims, valueType.getElementType()));
  return success();
}

LogicalResult IsNanOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  inferred.push_back(buildTensorType(getDims(tensorType(adaptor.getInput())),
                                     IntegerType::get(context, 1)));
  return success();
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  return constFoldUnaryOp<FloatAttr, APFloat, void>(
      adaptor.getOperands(), [](const APFloat &a) -> APFloat {
        APFloat result(std::sqrt(a.convertToDouble()));
        bool losesInfo = false;
        result.convert(a.getSemantics(), APFloat::rmNearestTiesToEven,
                       &losesInfo);
        return result;
      });
}

LogicalResult CastOp::verify() {
  if (getDims(getInput().getType()) != getDims(getType()))
    return emitOpError("changes the shape: ")
           << getInput().getType() << " to " << getType();
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // A splat literal converts at compile time (shape arithmetic cast to
  // float, such as 1/sqrt(head_dim)); bool targets are left to run time.
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  RankedTensorType type = getType();
  Type to = type.getElementType();
  if (!dense || !dense.isSplat() || !type.hasStaticShape() || to.isInteger(1))
    return {};
  Type from = dense.getElementType();
  // Integers widen by their signedness (ui8 128 is 128, not -128).
  auto integer = [&]() -> int64_t {
    APInt value = dense.getSplatValue<APInt>();
    return from.isUnsignedInteger() ? static_cast<int64_t>(value.getZExtValue())
                                    : value.getSExtValue();
  };
  if (isa<FloatType>(to)) {
    double value = isa<FloatType>(from)
                       ? dense.getSplatValue<APFloat>().convertToDouble()
                       : static_cast<double>(integer());
    return DenseElementsAttr::get(type, FloatAttr::get(to, value));
  }
  if (auto intType = dyn_cast<IntegerType>(to)) {
    if (isa<FloatType>(from))
      return {};
    int64_t value = integer();
    return DenseElementsAttr::get(
        type, IntegerAttr::get(to, APInt(intType.getWidth(), value, true)));
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Contractions and reductions
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto lhsType = tensorType(adaptor.getLhs());
  auto rhsType = tensorType(adaptor.getRhs());
  if (lhsType.getRank() < 2 || rhsType.getRank() < 2)
    return emitOptionalError(loc, "matmul operands must have rank >= 2, got ",
                             lhsType.getRank(), " and ", rhsType.getRank());
  if (lhsType.getElementType() != rhsType.getElementType())
    return emitOptionalError(loc, "operand element types differ");
  DimList lhs = getDims(lhsType), rhs = getDims(rhsType);
  Dim m = lhs[lhs.size() - 2], k = lhs.back();
  Dim rhsK = rhs[rhs.size() - 2], n = rhs.back();
  if (!dimsAgree(k, rhsK)) {
    if (loc)
      mlir::emitError(*loc)
          << "contracting dimensions differ: " << k << " vs " << rhsK;
    return failure();
  }
  FailureOr<DimList> batch = broadcastDims(ArrayRef(lhs).drop_back(2),
                                           ArrayRef(rhs).drop_back(2), loc);
  if (failed(batch))
    return failure();
  batch->push_back(m);
  batch->push_back(n);
  inferred.push_back(buildTensorType(*batch, lhsType.getElementType()));
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto dataType = tensorType(adaptor.getData());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, dataType.getRank())))
    return failure();
  DimList data = getDims(dataType);
  DimList dims(data.begin(), data.begin() + axis);
  llvm::append_range(dims, getDims(tensorType(adaptor.getIndices())));
  dims.append(data.begin() + axis + 1, data.end());
  inferred.push_back(buildTensorType(dims, dataType.getElementType()));
  return success();
}

LogicalResult GatherNdOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto dataType = tensorType(adaptor.getData());
  auto indicesType = tensorType(adaptor.getIndices());
  int64_t batchDims = adaptor.getBatchDims();
  if (indicesType.getRank() < 1 ||
      indicesType.isDynamicDim(indicesType.getRank() - 1))
    return emitOptionalError(loc, "indices need a static last dimension, got ",
                             indicesType);
  int64_t depth = indicesType.getDimSize(indicesType.getRank() - 1);
  if (batchDims < 0 || batchDims >= indicesType.getRank() ||
      batchDims + depth > dataType.getRank())
    return emitOptionalError(loc, "batch_dims ", batchDims, " and index depth ",
                             depth, " do not fit data of rank ",
                             dataType.getRank());
  DimList dims = getDims(indicesType);
  dims.pop_back();
  DimList data = getDims(dataType);
  dims.append(data.begin() + batchDims + depth, data.end());
  inferred.push_back(buildTensorType(dims, dataType.getElementType()));
  return success();
}

LogicalResult ScatterNdOp::verify() {
  auto dataType = getData().getType(), indicesType = getIndices().getType(),
       updatesType = getUpdates().getType();
  DimList data = getDims(dataType), result = getDims(getType());
  bool same = result.size() == data.size() &&
              getType().getElementType() == dataType.getElementType();
  for (size_t i = 0; same && i < data.size(); ++i)
    same = dimsAgree(result[i], data[i]);
  if (!same)
    return emitOpError("result must have the data's type ") << dataType;
  if (updatesType.getElementType() != dataType.getElementType())
    return emitOpError("updates must have the data's element type");
  if (indicesType.getRank() < 1 ||
      indicesType.isDynamicDim(indicesType.getRank() - 1))
    return emitOpError("indices need a static last dimension, got ")
           << indicesType;
  int64_t depth = indicesType.getDimSize(indicesType.getRank() - 1);
  if (depth < 1 || depth > dataType.getRank())
    return emitOpError("index depth ")
           << depth << " does not fit data of rank " << dataType.getRank();
  DimList expected = getDims(indicesType);
  expected.pop_back();
  expected.append(data.begin() + depth, data.end());
  DimList updates = getDims(updatesType);
  bool fits = updates.size() == expected.size();
  for (size_t i = 0; fits && i < updates.size(); ++i)
    fits = dimsAgree(updates[i], expected[i]);
  if (!fits)
    return emitOpError("updates ")
           << updatesType << " must be indices.shape[:-1] + data.shape["
           << depth << ":]";
  return success();
}

LogicalResult CumSumOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

/// The static element count and the sorted names of a shape; false when an
/// unknown dimension makes the size unknowable.
static bool sizeOf(ArrayRef<Dim> dims, int64_t &product,
                   SmallVectorImpl<StringRef> &names) {
  product = 1;
  for (const Dim &dim : dims) {
    if (dim.isUnknown())
      return false;
    if (dim.isStatic())
      product *= dim.getSize();
    else
      names.push_back(dim.getName().getValue());
  }
  llvm::sort(names);
  return true;
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType inputType = getInput().getType(), resultType = getType();
  if (inputType.getElementType() != resultType.getElementType())
    return emitOpError("changes the element type");
  int64_t inputSize, resultSize;
  SmallVector<StringRef> inputNames, resultNames;
  if (sizeOf(getDims(inputType), inputSize, inputNames) &&
      sizeOf(getDims(resultType), resultSize, resultNames) &&
      (inputSize != resultSize || inputNames != resultNames))
    return emitOpError("changes the number of elements: ")
           << inputType << " to " << resultType;
  return success();
}

namespace {

DimList withoutOnes(ArrayRef<Dim> dims) {
  DimList kept;
  for (const Dim &dim : dims)
    if (dim != Dim::fixed(1))
      kept.push_back(dim);
  return kept;
}

/// Reshape(Transpose(Reshape(x, leading axes merged), perm keeping axis 0),
/// leading axes restored) -> Transpose(x, perm on the trailing axes): how
/// PyTorch's dynamo exporter writes k.transpose(-1, -2) of a 4-D k, through
/// a 3-D batched transpose. The leading axes may come back regrouped by 1s
/// ([b, 1, h] -> [b, h]); x is reshaped to that grouping first.
struct UnmergeBatchedTranspose : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto transpose = op.getInput().getDefiningOp<TransposeOp>();
    auto merge = transpose ? transpose.getInput().getDefiningOp<ReshapeOp>()
                           : ReshapeOp();
    if (!merge || transpose.getPermutation().front() != 0)
      return failure();
    DimList x = getDims(merge.getInput().getType());
    DimList merged = getDims(merge.getType());
    DimList permuted = getDims(transpose.getType());
    DimList result = getDims(op.getType());
    size_t trailing = merged.size() - 1;
    if (trailing == 0 || x.size() <= trailing || result.size() <= trailing)
      return failure();
    auto known = [](ArrayRef<Dim> dims) {
      return llvm::none_of(dims, [](const Dim &d) { return d.isUnknown(); });
    };
    ArrayRef<Dim> xLead = ArrayRef<Dim>(x).drop_back(trailing);
    ArrayRef<Dim> resultLead = ArrayRef<Dim>(result).drop_back(trailing);
    if (ArrayRef<Dim>(x).take_back(trailing) !=
            ArrayRef<Dim>(merged).drop_front() ||
        ArrayRef<Dim>(result).take_back(trailing) !=
            ArrayRef<Dim>(permuted).drop_front() ||
        !known(x) || !known(resultLead) ||
        withoutOnes(xLead) != withoutOnes(resultLead))
      return failure();
    DimList grouped(resultLead.begin(), resultLead.end());
    llvm::append_range(grouped, ArrayRef<Dim>(x).take_back(trailing));
    Value input = merge.getInput();
    Type elementType = op.getType().getElementType();
    Type groupedType = buildTensorType(grouped, elementType);
    if (input.getType() != groupedType)
      input = ReshapeOp::create(rewriter, op.getLoc(), groupedType, input);
    int64_t lead = resultLead.size();
    auto permutation = llvm::to_vector(llvm::seq<int64_t>(0, lead));
    for (int64_t axis : transpose.getPermutation().drop_front())
      permutation.push_back(lead - 1 + axis);
    rewriter.replaceOpWithNewOp<TransposeOp>(
        op, op.getType(), input, rewriter.getDenseI64ArrayAttr(permutation));
    return success();
  }
};

/// Reshape(Linear(Reshape(x, leading axes merged)), leading axes restored)
/// -> Linear(x): a linear acts on the last axis alone, so the flattening
/// PyTorch's exporter wraps around 2-D matrix products is not needed. When
/// the flattening also merged x's trailing axes ([b, s, h, d] -> [b*s,
/// h*d]), x is reshaped to [b, s, h*d] instead.
struct UnflattenLinear : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto linear = op.getInput().getDefiningOp<LinearOp>();
    auto flatten =
        linear ? linear.getInput().getDefiningOp<ReshapeOp>() : ReshapeOp();
    if (!flatten || !linear->hasOneUse())
      return failure();
    DimList x = getDims(flatten.getInput().getType());
    DimList flat = getDims(flatten.getType());
    DimList result = getDims(op.getType());
    DimList product = getDims(linear.getType());
    if (flat.empty() || result.empty() || result.size() > x.size() ||
        result.back() != product.back() || !flat.back().isStatic() ||
        llvm::any_of(x, [](const Dim &d) { return d.isUnknown(); }))
      return failure();
    ArrayRef<Dim> lead = ArrayRef<Dim>(result).drop_back();
    if (ArrayRef<Dim>(x).take_front(lead.size()) != lead)
      return failure();
    int64_t features = 1;
    for (const Dim &dim : ArrayRef<Dim>(x).drop_front(lead.size())) {
      if (!dim.isStatic())
        return failure();
      features *= dim.getSize();
    }
    if (features != flat.back().getSize())
      return failure();
    Value input = flatten.getInput();
    DimList rows(lead.begin(), lead.end());
    rows.push_back(flat.back());
    Type rowsType = buildTensorType(rows, op.getType().getElementType());
    if (input.getType() != rowsType)
      input = ReshapeOp::create(rewriter, op.getLoc(), rowsType, input);
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), input,
                                          linear.getWeight(), linear.getBias());
    return success();
  }
};

} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                            MLIRContext *context) {
  patterns.add<UnmergeBatchedTranspose, UnflattenLinear>(context);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
      dense && getType().hasStaticShape())
    return dense.reshape(getType());
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto inputType = tensorType(adaptor.getInput());
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  if (static_cast<int64_t>(permutation.size()) != inputType.getRank())
    return emitOptionalError(loc, "permutation has ", permutation.size(),
                             " entries for rank ", inputType.getRank());
  SmallVector<bool> seen(permutation.size(), false);
  DimList input = getDims(inputType), dims;
  for (int64_t source : permutation) {
    if (source < 0 || source >= inputType.getRank() || seen[source])
      return emitOptionalError(loc, "invalid permutation entry ", source);
    seen[source] = true;
    dims.push_back(input[source]);
  }
  inferred.push_back(buildTensorType(dims, inputType.getElementType()));
  return success();
}

/// A dense literal of `resultType` whose element at each (row-major) index
/// is the input's element at row-major offset `source(index, inputStrides)`:
/// how the transpose and slice folders rearrange small constants.
static Attribute rearrangeDense(
    DenseElementsAttr input, RankedTensorType resultType,
    function_ref<int64_t(ArrayRef<int64_t>, ArrayRef<int64_t>)> source) {
  if (input.isSplat())
    return input.resizeSplat(resultType);
  auto values = llvm::to_vector(input.getValues<Attribute>());
  ArrayRef<int64_t> shape = input.getType().getShape();
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  int64_t rank = resultType.getRank();
  SmallVector<Attribute> result;
  SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0, e = resultType.getNumElements(); i < e; ++i) {
    result.push_back(values[source(index, strides)]);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < resultType.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(resultType, result);
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size())))
    return getInput();
  // Dense literals transpose at compile time. Weight blobs (dense_resource)
  // stay behind the transpose on purpose: copying them would double the
  // compiler's memory, and weight packing in lowering reads through it.
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
      dense && getType().hasStaticShape())
    return rearrangeDense(
        dense, getType(),
        [&](ArrayRef<int64_t> index, ArrayRef<int64_t> strides) {
          int64_t offset = 0;
          for (auto [d, source] : llvm::enumerate(permutation))
            offset += index[d] * strides[source];
          return offset;
        });
  // transpose(transpose(x, p), q) = transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t index : permutation)
      composed.push_back(inner.getPermutation()[index]);
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "expected at least one input");
  auto firstType = tensorType(inputs.front());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, firstType.getRank())))
    return failure();
  DimList dims = getDims(firstType);
  for (Value input : inputs.drop_front()) {
    auto type = tensorType(input);
    if (type.getElementType() != firstType.getElementType() ||
        type.getRank() != firstType.getRank())
      return emitOptionalError(loc, "inputs differ in element type or rank");
    DimList other = getDims(type);
    for (int64_t d = 0; d < firstType.getRank(); ++d) {
      if (d == axis) {
        dims[d] = addDims(dims[d], other[d]);
        continue;
      }
      if (!dimsAgree(dims[d], other[d])) {
        if (loc)
          mlir::emitError(*loc) << "inputs differ in dimension " << d << ": "
                                << dims[d] << " vs " << other[d];
        return failure();
      }
      if (dims[d].isUnknown())
        dims[d] = other[d];
    }
  }
  inferred.push_back(buildTensorType(dims, firstType.getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  return {};
}

LogicalResult SliceOp::verify() {
  RankedTensorType inputType = getInput().getType(), resultType = getType();
  int64_t rank = inputType.getRank();
  if (resultType.getRank() != rank ||
      inputType.getElementType() != resultType.getElementType())
    return emitOpError("result must have the input's rank and element type");
  if (static_cast<int64_t>(getOffsets().size()) != rank ||
      static_cast<int64_t>(getStrides().size()) != rank)
    return emitOpError("expected ") << rank << " offsets and strides";
  DimList input = getDims(inputType), result = getDims(resultType);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t offset = getOffsets()[d], stride = getStrides()[d];
    if (stride < 1)
      return emitOpError("dimension ") << d << ": stride must be >= 1";
    if (offset < 0) {
      // From the end: the window must end before the extent does.
      if (input[d].isStatic()) {
        offset += input[d].getSize();
        if (offset < 0)
          return emitOpError("dimension ")
                 << d << ": offset " << getOffsets()[d]
                 << " is before the start of extent " << input[d].getSize();
      } else if (result[d].isStatic() && result[d].getSize() > 0 &&
                 offset + (result[d].getSize() - 1) * stride >= 0) {
        return emitOpError("dimension ")
               << d << " reads past its end: offset " << offset << ", size "
               << result[d].getSize() << ", stride " << stride;
      }
    }
    if (input[d].isStatic() && result[d].isStatic() &&
        result[d].getSize() > 0 &&
        offset + (result[d].getSize() - 1) * stride >= input[d].getSize())
      return emitOpError("dimension ")
             << d << " reads past its end: offset " << offset << ", size "
             << result[d].getSize() << ", stride " << stride << ", extent "
             << input[d].getSize();
    if (input[d].isStatic() && result[d].isNamed() &&
        offset >= input[d].getSize())
      return emitOpError("dimension ")
             << d << ": offset " << offset << " is past its extent "
             << input[d].getSize();
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getOffsets(), [](int64_t o) { return o == 0; }) &&
      llvm::all_of(getStrides(), [](int64_t s) { return s == 1; }))
    return getInput();
  // A window of a dense literal (shape vectors, small tables) is a literal.
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense || !getType().hasStaticShape())
    return {};
  ArrayRef<int64_t> extents = dense.getType().getShape();
  return rearrangeDense(
      dense, getType(),
      [&](ArrayRef<int64_t> index, ArrayRef<int64_t> strides) {
        int64_t offset = 0;
        for (size_t d = 0; d < index.size(); ++d) {
          int64_t start = getOffsets()[d];
          if (start < 0)
            start += extents[d];
          offset += (start + index[d] * getStrides()[d]) * strides[d];
        }
        return offset;
      });
}

LogicalResult SplitOp::verify() {
  RankedTensorType inputType = getInput().getType();
  if (failed(verifyAxis(*this, getAxis(), inputType.getRank())))
    return failure();
  if (getOutputs().empty())
    return emitOpError("expected at least one output");
  DimList input = getDims(inputType);
  int64_t axis = getAxis(), total = 0;
  bool allStatic = input[axis].isStatic();
  for (Value output : getOutputs()) {
    auto type = tensorType(output);
    if (type.getRank() != inputType.getRank() ||
        type.getElementType() != inputType.getElementType())
      return emitOpError("outputs must have the input's rank and element type");
    DimList dims = getDims(type);
    for (int64_t d = 0; d < inputType.getRank(); ++d)
      if (d != axis && !dimsAgree(dims[d], input[d]))
        return emitOpError("output dimension ")
               << d << " differs from the input's";
    allStatic &= dims[axis].isStatic();
    if (dims[axis].isStatic())
      total += dims[axis].getSize();
  }
  if (allStatic && total != input[axis].getSize())
    return emitOpError("outputs cover ")
           << total << " of " << input[axis].getSize() << " along axis "
           << axis;
  if (getEven() && input[axis].isStatic()) {
    SmallVector<int64_t> pieces =
        evenSplitSizes(input[axis].getSize(), getOutputs().size());
    for (auto [output, piece] : llvm::zip_equal(getOutputs(), pieces))
      if (!dimsAgree(getDims(tensorType(output))[axis], Dim::fixed(piece)))
        return emitOpError("an even split of ")
               << input[axis].getSize() << " into " << pieces.size()
               << " has pieces of " << pieces.front() << " (the last "
               << pieces.back() << ")";
  }
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("expects a tensor of rank >= 2, got ")
           << getInput().getType();
  return success();
}

LogicalResult ExpandOp::verify() {
  RankedTensorType inputType = getInput().getType(), resultType = getType();
  if (inputType.getElementType() != resultType.getElementType())
    return emitOpError("changes the element type");
  if (inputType.getRank() > resultType.getRank())
    return emitOpError("cannot reduce the rank");
  DimList result = getDims(resultType);
  FailureOr<DimList> broadcast =
      broadcastDims(getDims(inputType), result, getLoc());
  if (failed(broadcast))
    return failure();
  if (!refinesDims(result, *broadcast))
    return emitOpError("result type ")
           << resultType << " is not " << inputType << " broadcast";
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Shape computations
//===----------------------------------------------------------------------===//

LogicalResult ShapeOfOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  inferred.push_back(
      RankedTensorType::get({tensorType(adaptor.getInput()).getRank()},
                            IntegerType::get(context, 64)));
  return success();
}

/// Checks that a 1-D operand has a static length, returning it.
static FailureOr<int64_t> staticLength(Operation *op, StringRef name,
                                       Value vector) {
  RankedTensorType type = tensorType(vector);
  if (type.isDynamicDim(0))
    return op->emitOpError() << name << " must have a static length";
  return type.getDimSize(0);
}

static LogicalResult verifySameElementType(Operation *op, Value input) {
  if (getElementTypeOrSelf(input.getType()) !=
      getElementTypeOrSelf(op->getResult(0).getType()))
    return op->emitOpError("changes the element type");
  return success();
}

LogicalResult DynamicReshapeOp::verify() {
  FailureOr<int64_t> length = staticLength(*this, "shape", getShape());
  if (failed(length) || failed(verifySameElementType(*this, getInput())))
    return failure();
  if (*length != getType().getRank())
    return emitOpError("shape has ")
           << *length << " entries for a result of rank "
           << getType().getRank();
  return success();
}

LogicalResult DynamicExpandOp::verify() {
  FailureOr<int64_t> length = staticLength(*this, "shape", getShape());
  if (failed(length) || failed(verifySameElementType(*this, getInput())))
    return failure();
  int64_t rank = std::max(*length, getInput().getType().getRank());
  if (rank != getType().getRank())
    return emitOpError("result must have rank ")
           << rank << " (input and shape broadcast), got "
           << getType().getRank();
  return success();
}

LogicalResult DynamicSliceOp::verify() {
  if (failed(verifySameElementType(*this, getInput())))
    return failure();
  if (getType().getRank() != getInput().getType().getRank())
    return emitOpError("result must have the input's rank");
  std::optional<int64_t> common;
  // Named arrays: the temporaries of a range-for's initializer lists would
  // end before the loop reads them (ASan: stack-use-after-scope).
  const StringRef names[] = {"starts", "ends", "axes", "steps"};
  const Value vectors[] = {getStarts(), getEnds(), getAxes(), getSteps()};
  for (auto [name, vector] : llvm::zip_equal(names, vectors)) {
    FailureOr<int64_t> length = staticLength(*this, name, vector);
    if (failed(length))
      return failure();
    if (common && *common != *length)
      return emitOpError("starts, ends, axes and steps differ in length");
    common = *length;
  }
  return success();
}

LogicalResult RangeOp::verify() {
  if (getType().getElementType() != getStart().getType().getElementType())
    return emitOpError("changes the element type");
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  FailureOr<int64_t> length = staticLength(*this, "shape", getShape());
  if (failed(length))
    return failure();
  if (*length != getType().getRank())
    return emitOpError("shape has ")
           << *length << " entries for a result of rank "
           << getType().getRank();
  Type valueType = getValue().getType();
  auto elements = dyn_cast<ElementsAttr>(getValue());
  if ((elements && elements.getNumElements() != 1) ||
      getElementTypeOrSelf(valueType) != getType().getElementType())
    return emitOpError("value must be one element of the result's element "
                       "type, got ")
           << getValue();
  return success();
}
