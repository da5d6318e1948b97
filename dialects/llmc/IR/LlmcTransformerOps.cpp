//===- LlmcTransformerOps.cpp - verifiers and shape inference -------------===//
//
// The transformer layer of the llmc dialect (see LlmcTransformerOps.td).
//
//===----------------------------------------------------------------------===//

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;
using namespace llmc;

namespace {
/// [out_features, in_features] of a linear weight, real or quantized.
struct WeightShape {
  Dim out = Dim::unknown(), in = Dim::unknown();
};
} // namespace

static FailureOr<WeightShape> getWeightShape(std::optional<Location> loc,
                                             Type weight, Type elementType) {
  if (auto quantized = dyn_cast<QWeightType>(weight))
    return WeightShape{Dim::fixed(quantized.getOutFeatures()),
                       Dim::fixed(quantized.getInFeatures())};
  auto tensor = cast<RankedTensorType>(weight);
  if (tensor.getRank() != 2)
    return emitOptionalError(loc, "weight must be 2-D [out, in], got ", tensor);
  if (tensor.getElementType() != elementType)
    return emitOptionalError(loc, "weight element type ",
                             tensor.getElementType(),
                             " differs from the input's ", elementType);
  DimList dims = getDims(tensor);
  return WeightShape{dims[0], dims[1]};
}

/// [..., in] x weight [out, in] (+ bias [out]) -> [..., out].
static LogicalResult inferProjection(std::optional<Location> loc, Value input,
                                     Value weight, Value bias,
                                     SmallVectorImpl<Type> &inferred) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (inputType.getRank() < 1)
    return emitOptionalError(loc, "input must have rank >= 1");
  FailureOr<WeightShape> shape =
      getWeightShape(loc, weight.getType(), inputType.getElementType());
  if (failed(shape))
    return failure();
  DimList dims = getDims(inputType);
  if (!dimsAgree(dims.back(), shape->in)) {
    if (loc)
      emitError(*loc) << "input features " << dims.back()
                      << " differ from the weight's in_features " << shape->in;
    return failure();
  }
  if (bias) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 ||
        biasType.getElementType() != inputType.getElementType() ||
        !dimsAgree(getDims(biasType)[0], shape->out))
      return emitOptionalError(loc,
                               "bias must be [out_features] of the "
                               "input's element type, got ",
                               biasType);
  }
  dims.back() = shape->out;
  inferred.push_back(buildTensorType(dims, inputType.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto tableType = cast<RankedTensorType>(adaptor.getTable().getType());
  if (tableType.getRank() != 2)
    return emitOptionalError(loc, "table must be 2-D [vocab, dim], got ",
                             tableType);
  DimList dims = getDims(cast<RankedTensorType>(adaptor.getIds().getType()));
  dims.push_back(getDims(tableType)[1]);
  inferred.push_back(buildTensorType(dims, tableType.getElementType()));
  return success();
}

OpFoldResult LinearOp::fold(FoldAdaptor adaptor) {
  // A bias of zeros (what a freshly initialized model exports) is none.
  if (!adaptor.getBias())
    return {};
  bool zero = false;
  if (auto dense = dyn_cast<DenseElementsAttr>(adaptor.getBias());
      dense && dense.isSplat() && isa<FloatType>(dense.getElementType()))
    zero = dense.getSplatValue<APFloat>().isPosZero();
  else if (std::optional<ArrayRef<char>> bytes =
               getRawConstantData(adaptor.getBias()))
    zero = llvm::all_of(*bytes, [](char byte) { return byte == 0; });
  if (!zero)
    return {};
  getBiasMutable().clear();
  return getResult();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferProjection(loc, adaptor.getInput(), adaptor.getWeight(),
                         adaptor.getBias(), inferred);
}

LogicalResult LmHeadOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferProjection(loc, adaptor.getInput(), adaptor.getWeight(), Value(),
                         inferred);
}

/// Checks a per-feature parameter ([dim], matching the input's last axis).
static LogicalResult verifyFeatureVector(Operation *op, StringRef what,
                                         RankedTensorType input,
                                         RankedTensorType vector) {
  if (vector.getRank() != 1 ||
      vector.getElementType() != input.getElementType() ||
      input.getRank() < 1 ||
      !dimsAgree(getDims(vector)[0], getDims(input).back()))
    return op->emitOpError()
           << what << " must be 1-D, of the input's element type, and as long "
           << "as its last dimension; got " << vector << " for input " << input;
  return success();
}

static LogicalResult verifyEpsilon(Operation *op, APFloat epsilon) {
  if (!(epsilon.convertToDouble() > 0.0))
    return op->emitOpError("epsilon must be positive");
  return success();
}

LogicalResult RmsNormOp::verify() {
  if (failed(verifyFeatureVector(*this, "weight", getInput().getType(),
                                 getWeight().getType())))
    return failure();
  return verifyEpsilon(*this, getEpsilon());
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifyFeatureVector(*this, "weight", getInput().getType(),
                                 getWeight().getType())))
    return failure();
  if (getBias() && getBias().getType() != getWeight().getType())
    return emitOpError("bias type ")
           << getBias().getType() << " differs from the weight's "
           << getWeight().getType();
  return verifyEpsilon(*this, getEpsilon());
}

LogicalResult RopeOp::verify() {
  RankedTensorType input = getInput().getType();
  if (input.getRank() != 4)
    return emitOpError("input must be [batch, sequence, heads, head_dim], got ")
           << input;
  RankedTensorType cos = getCos().getType();
  if (cos.getRank() != 2 || cos.getElementType() != input.getElementType() ||
      cos.isDynamicDim(1))
    return emitOpError("cos/sin must be [positions, rotary_dim / 2] of the "
                       "input's element type, got ")
           << cos;
  int64_t rotaryDim = 2 * cos.getDimSize(1);
  if (!input.isDynamicDim(3) && rotaryDim > input.getDimSize(3))
    return emitOpError("rotary dimension ")
           << rotaryDim << " exceeds head_dim " << input.getDimSize(3);
  RankedTensorType positions = getPositions().getType();
  DimList inputDims = getDims(input), positionDims = getDims(positions);
  bool positionsFit =
      (positions.getRank() == 1 && dimsAgree(positionDims[0], inputDims[1])) ||
      (positions.getRank() == 2 && dimsAgree(positionDims[0], inputDims[0]) &&
       dimsAgree(positionDims[1], inputDims[1]));
  if (!positionsFit)
    return emitOpError("positions must be [sequence] or [batch, sequence] of "
                       "the input, got ")
           << positions;
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto queryType = cast<RankedTensorType>(adaptor.getQuery().getType());
  Type elementType = queryType.getElementType();
  SmallVector<std::pair<StringRef, Value>> operands = {
      {"query", adaptor.getQuery()},
      {"key", adaptor.getKey()},
      {"value", adaptor.getValue()}};
  if (adaptor.getPastKey())
    operands.append({{"past_key", adaptor.getPastKey()},
                     {"past_value", adaptor.getPastValue()}});
  SmallVector<DimList> dims;
  for (auto [name, value] : operands) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() != 4 || type.getElementType() != elementType)
      return emitOptionalError(loc, name, " must be a 4-D [batch, sequence, ",
                               "heads, head_dim] tensor of ", elementType,
                               ", got ", type);
    dims.push_back(getDims(type));
  }
  auto mismatch = [&](StringRef what) {
    return emitOptionalError(loc, "attention operands disagree on ", what);
  };
  const DimList &query = dims[0], &key = dims[1], &value = dims[2];
  for (const DimList &operand : ArrayRef(dims).drop_front())
    if (!dimsAgree(operand[0], query[0]))
      return mismatch("batch");
  if (!dimsAgree(key[1], value[1]))
    return mismatch("the key/value sequence");
  if (!dimsAgree(key[3], query[3]))
    return mismatch("the query/key head_dim");
  for (const DimList &operand : ArrayRef(dims).drop_front(2))
    if (!dimsAgree(operand[2], key[2]))
      return mismatch("the number of key/value heads");
  if (dims.size() == 5 &&
      (!dimsAgree(dims[3][1], dims[4][1]) || !dimsAgree(dims[3][3], key[3]) ||
       !dimsAgree(dims[4][3], value[3])))
    return mismatch("the past key/value shape");
  if (Value mask = adaptor.getKeyMask()) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (maskType.getRank() != 2 || !isa<IntegerType>(maskType.getElementType()))
      return emitOptionalError(loc,
                               "key_mask must be a 2-D [batch, keys] "
                               "integer tensor, got ",
                               maskType);
    if (!dimsAgree(getDims(maskType)[0], query[0]))
      return mismatch("batch");
  }
  if (query[2].isStatic() && key[2].isStatic() &&
      query[2].getSize() % key[2].getSize() != 0)
    return emitOptionalError(loc, "query heads (", query[2].getSize(),
                             ") must be a multiple of key/value heads (",
                             key[2].getSize(), ")");
  if (FloatAttr scale = adaptor.getScaleAttr();
      scale && !(scale.getValueAsDouble() > 0.0))
    return emitOptionalError(loc, "scale must be positive");
  if (FloatAttr softcap = adaptor.getSoftcapAttr();
      softcap && !(softcap.getValueAsDouble() > 0.0))
    return emitOptionalError(loc, "softcap must be positive");
  if (IntegerAttr window = adaptor.getWindowAttr()) {
    if (window.getInt() < 1)
      return emitOptionalError(loc, "window must be positive, got ",
                               window.getInt());
    if (!adaptor.getCausal())
      return emitOptionalError(loc, "a window needs causal attention");
  }
  inferred.push_back(
      buildTensorType({query[0], query[1], query[2], value[3]}, elementType));
  return success();
}

/// Checks the weights of a feed-forward block: every input projection
/// [hidden, dim], the down projection [dim, hidden]; returns hidden.
static FailureOr<Dim> verifyFeedForwardWeights(Operation *op, Value input,
                                               ValueRange projections,
                                               Value down) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (inputType.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  Type elementType = inputType.getElementType();
  Dim dim = getDims(inputType).back();
  FailureOr<WeightShape> downShape =
      getWeightShape(op->getLoc(), down.getType(), elementType);
  if (failed(downShape))
    return failure();
  bool fits = dimsAgree(downShape->out, dim);
  for (Value projection : projections) {
    FailureOr<WeightShape> shape =
        getWeightShape(op->getLoc(), projection.getType(), elementType);
    if (failed(shape))
      return failure();
    fits &= dimsAgree(shape->in, dim) && dimsAgree(shape->out, downShape->in);
  }
  if (!fits)
    return op->emitOpError("expects ")
           << (projections.size() == 2 ? "gate and up" : "up")
           << " [hidden, dim] and down [dim, hidden] for input dim " << dim;
  return downShape->in;
}

LogicalResult GatedMlpOp::verify() {
  return verifyFeedForwardWeights(*this, getInput(), {getGate(), getUp()},
                                  getDown());
}

LogicalResult MlpOp::verify() {
  FailureOr<Dim> hidden =
      verifyFeedForwardWeights(*this, getInput(), {getUp()}, getDown());
  if (failed(hidden))
    return failure();
  Type elementType = getInput().getType().getElementType();
  Dim dim = getDims(getInput().getType()).back();
  if (static_cast<bool>(getUpBias()) != static_cast<bool>(getDownBias()))
    return emitOpError("takes both biases or neither");
  if (getUpBias()) {
    auto isVector = [&](Value bias, const Dim &length) {
      auto type = cast<RankedTensorType>(bias.getType());
      return type.getRank() == 1 && type.getElementType() == elementType &&
             dimsAgree(getDims(type)[0], length);
    };
    if (!isVector(getUpBias(), *hidden) || !isVector(getDownBias(), dim))
      return emitOpError("biases must be [hidden] and [dim] of the input's "
                         "element type");
  }
  return success();
}

LogicalResult QConstantOp::verify() {
  QWeightType type = getType();
  if (getData().getType() != type.getDataTensorType())
    return emitOpError("codes must be ")
           << type.getDataTensorType() << ", got " << getData().getType();
  if (getScales().getType() != type.getScalesTensorType())
    return emitOpError("scales must be ")
           << type.getScalesTensorType() << ", got " << getScales().getType();
  if (type.hasZeroPoints() != static_cast<bool>(getZerosAttr()))
    return emitOpError(type.hasZeroPoints()
                           ? "type has zero points but none are given"
                           : "zero points given for a type without them");
  if (getZerosAttr() && getZerosAttr().getType() != type.getZerosTensorType())
    return emitOpError("zero points must be ")
           << type.getZerosTensorType() << ", got " << getZerosAttr().getType();
  return success();
}

LogicalResult DequantizeOp::verify() {
  QWeightType input = getInput().getType();
  if (getType().getShape() != input.getShape() || getType().getEncoding())
    return emitOpError("result shape must be the weight's ")
           << input.getOutFeatures() << "x" << input.getInFeatures();
  return success();
}
