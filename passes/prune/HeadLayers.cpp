//===- HeadLayers.cpp - attention layers as head pruning sees them -------===//

#include "passes/prune/HeadLayers.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "passes/quant/QuantTargets.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace llmc::prune {

namespace {

/// The one user of `value` of type OpTy, or null.
template <typename OpTy> OpTy soleUser(Value value) {
  if (!value.hasOneUse())
    return nullptr;
  return dyn_cast<OpTy>(*value.getUsers().begin());
}

/// A projection fused with its siblings (GPT-2's QKV: linear(x, W, b)
/// split along its features) becomes one linear per piece, each with its
/// rows of W and b, so each can lose heads of its own; it computes the
/// same. Returns the linear that gives `piece`, or null when it is not
/// such a split.
LinearOp unfuse(Value piece);

/// Erases `old` and the transposes that led to it once nothing reads them.
void eraseUnused(Value old);

/// `heads` (the attention's q, k or v operand) as [rope] reshape(linear),
/// each read only by the next; `what` names it in the message.
FailureOr<HeadSplit> traceSplit(Value heads, StringRef what,
                                llvm::function_ref<InFlightDiagnostic()> fail) {
  HeadSplit split;
  if (!heads.hasOneUse())
    return fail() << "its " << what << " are read elsewhere too";
  split.rope = heads.getDefiningOp<RopeOp>();
  if (split.rope) {
    heads = split.rope.getInput();
    if (!heads.hasOneUse())
      return fail() << "its " << what << " before RoPE are read elsewhere too";
  }
  split.split = heads.getDefiningOp<ReshapeOp>();
  if (!split.split)
    return fail() << "its " << what << " are not a projection split into heads";
  split.projection = split.split.getInput().getDefiningOp<LinearOp>();
  if (!split.projection)
    split.projection = unfuse(split.split.getInput());
  if (!split.projection || !split.split.getInput().hasOneUse())
    return fail() << "its " << what
                  << " are not a projection of their own or a piece of a "
                     "fused one";
  return split;
}

/// A new f32 constant of `values` and `shape`, named `name`.
Value makeWeight(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                 ArrayRef<float> values, const std::string &name) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  return ConstantOp::create(b, loc, makeResourceAttr(type, name, bytes));
}

/// The [out, in] f32 values of `projection`'s weight.
FailureOr<quant::WeightMatrix> readProjection(LinearOp projection,
                                              StringRef what) {
  return quant::readWeight({projection,
                            projection.getWeightMutable().getOperandNumber(),
                            what.str()},
                           kPass);
}

LinearOp unfuse(Value piece) {
  auto split = piece.getDefiningOp<SplitOp>();
  auto fused = split ? split.getInput().getDefiningOp<LinearOp>() : LinearOp();
  if (!fused || !fused.getResult().hasOneUse())
    return nullptr;
  auto fusedType = cast<RankedTensorType>(fused.getType());
  if (split.getAxis() != fusedType.getRank() - 1)
    return nullptr;
  SmallVector<int64_t> sizes;
  for (Value output : split.getOutputs()) {
    int64_t size = cast<RankedTensorType>(output.getType()).getShape().back();
    if (ShapedType::isDynamic(size))
      return nullptr;
    sizes.push_back(size);
  }
  FailureOr<quant::WeightMatrix> w = readProjection(fused, "fused projection");
  if (failed(w))
    return nullptr;
  std::optional<std::vector<float>> bias;
  if (Value b = fused.getBias()) {
    auto constant = b.getDefiningOp<ConstantOp>();
    bias = constant ? quant::readF32Constant(constant) : std::nullopt;
    if (!bias)
      return nullptr;
  }
  OpBuilder b(split);
  int64_t offset = 0;
  LinearOp made;
  for (auto [index, output] : llvm::enumerate(split.getOutputs())) {
    const int64_t size = sizes[index];
    std::string name = w->source + ".part" + std::to_string(index);
    std::vector<float> rows(w->values.begin() + offset * w->k,
                            w->values.begin() + (offset + size) * w->k);
    Value weight = makeWeight(b, fused.getLoc(), {size, w->k}, rows, name);
    Value partBias;
    if (bias)
      partBias = makeWeight(b, fused.getLoc(), {size},
                            std::vector<float>(bias->begin() + offset,
                                               bias->begin() + offset + size),
                            name + ".bias");
    auto linear = LinearOp::create(b, fused.getLoc(), output.getType(),
                                   fused.getInput(), weight, partBias);
    output.replaceAllUsesWith(linear.getResult());
    if (output == piece)
      made = linear;
    offset += size;
  }
  Value oldWeight = fused.getWeight(), oldBias = fused.getBias();
  split.erase();
  fused.erase();
  eraseUnused(oldWeight);
  eraseUnused(oldBias);
  return made;
}

/// Erases `old` and the transposes that led to it once nothing reads them.
void eraseUnused(Value old) {
  Operation *op = old ? old.getDefiningOp() : nullptr;
  while (op && op->use_empty()) {
    Operation *input =
        isa<TransposeOp>(op) ? op->getOperand(0).getDefiningOp() : nullptr;
    op->erase();
    op = input;
  }
}

/// Keeps the rows of heads `kept` (of `headDim` rows each) of `split`'s
/// projection weight and bias, and gives the split and rope that many
/// heads.
LogicalResult keepHeadRows(HeadSplit &split, ArrayRef<int64_t> kept,
                           int64_t headDim, StringRef what) {
  const int64_t width = static_cast<int64_t>(kept.size()) * headDim;
  LinearOp projection = split.projection;
  FailureOr<quant::WeightMatrix> w = readProjection(projection, what);
  if (failed(w))
    return failure();
  std::vector<float> rows;
  rows.reserve(width * w->k);
  for (int64_t head : kept)
    rows.insert(rows.end(), w->values.begin() + head * headDim * w->k,
                w->values.begin() + (head + 1) * headDim * w->k);
  OpBuilder b(projection);
  Value oldWeight = projection.getWeight(), oldBias = projection.getBias();
  projection.getWeightMutable().assign(makeWeight(
      b, projection.getLoc(), {width, w->k}, rows, w->source + ".pruned"));
  if (oldBias) {
    auto constant = oldBias.getDefiningOp<ConstantOp>();
    std::optional<std::vector<float>> values =
        constant ? quant::readF32Constant(constant) : std::nullopt;
    if (!values)
      return projection.emitError()
             << kPass << ": the " << what << " bias is not a constant";
    std::vector<float> keptBias;
    for (int64_t head : kept)
      keptBias.insert(keptBias.end(), values->begin() + head * headDim,
                      values->begin() + (head + 1) * headDim);
    std::string name = what.str() + "_bias";
    if (auto resource =
            dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      name = resource.getRawHandle().getKey().str();
    projection.getBiasMutable().assign(makeWeight(
        b, projection.getLoc(), {width}, keptBias, name + ".pruned"));
  }
  projection.getResult().setType(
      withDim(projection.getResult().getType(), -1, width));
  split.split.getResult().setType(withDim(split.split.getResult().getType(), -2,
                                          static_cast<int64_t>(kept.size())));
  if (split.rope)
    split.rope.getResult().setType(split.split.getResult().getType());
  eraseUnused(oldWeight);
  eraseUnused(oldBias);
  return success();
}

/// The heads 0..count-1 not in `removed`.
SmallVector<int64_t> keptOf(int64_t count, const std::set<int64_t> &removed) {
  SmallVector<int64_t> kept;
  for (int64_t head = 0; head < count; ++head)
    if (!removed.count(head))
      kept.push_back(head);
  return kept;
}

} // namespace

SmallVector<AttentionOp> attentionLayers(ModuleOp module) {
  SmallVector<AttentionOp> attentions;
  module.walk([&](AttentionOp op) { attentions.push_back(op); });
  return attentions;
}

FailureOr<Layer> traceLayer(AttentionOp attention, int64_t index, Unit unit) {
  Layer layer;
  layer.attention = attention;
  auto fail = [&]() {
    return attention.emitError() << kPass << ": layer " << index << ": ";
  };
  auto queryType = cast<RankedTensorType>(attention.getQuery().getType());
  auto keyType = cast<RankedTensorType>(attention.getKey().getType());
  const int64_t rank = queryType.getRank();
  layer.qHeads = queryType.getDimSize(rank - 2);
  layer.kvHeads = keyType.getDimSize(rank - 2);
  layer.headDim = queryType.getDimSize(rank - 1);
  if (ShapedType::isDynamic(layer.qHeads) ||
      ShapedType::isDynamic(layer.kvHeads) ||
      ShapedType::isDynamic(layer.headDim) || layer.kvHeads <= 0 ||
      layer.qHeads % layer.kvHeads != 0)
    return fail() << "its head counts are not static multiples";
  layer.unit = unitFor(layer.qHeads, layer.kvHeads, unit);
  FailureOr<HeadSplit> query =
      traceSplit(attention.getQuery(), "queries", fail);
  if (failed(query))
    return failure();
  layer.query = *query;
  if (layer.unit == Unit::group) {
    FailureOr<HeadSplit> key = traceSplit(attention.getKey(), "keys", fail);
    if (failed(key))
      return failure();
    FailureOr<HeadSplit> value =
        traceSplit(attention.getValue(), "values", fail);
    if (failed(value))
      return failure();
    layer.key = *key;
    layer.value = *value;
  }
  layer.outputMerge = soleUser<ReshapeOp>(attention.getResult());
  if (!layer.outputMerge)
    return fail() << "its output is not merged into one row per token";
  layer.outputProjection = soleUser<LinearOp>(layer.outputMerge.getResult());
  if (!layer.outputProjection ||
      layer.outputProjection.getInput() != layer.outputMerge.getResult())
    return fail() << "its merged output does not go to one output projection";
  return layer;
}

LogicalResult pruneLayer(Layer &layer, int64_t index,
                         const std::set<int64_t> &heads,
                         const std::set<int64_t> &groups) {
  const int64_t headDim = layer.headDim;
  SmallVector<int64_t> kept = keptOf(layer.qHeads, heads);
  const int64_t width = static_cast<int64_t>(kept.size()) * headDim;
  if (failed(keepHeadRows(layer.query, kept, headDim, "query")))
    return failure();
  if (!groups.empty()) {
    SmallVector<int64_t> keptGroups = keptOf(layer.kvHeads, groups);
    if (failed(keepHeadRows(layer.key, keptGroups, headDim, "key")) ||
        failed(keepHeadRows(layer.value, keptGroups, headDim, "value")))
      return failure();
  }
  layer.attention.getResult().setType(
      withDim(layer.attention.getResult().getType(), -2,
              static_cast<int64_t>(kept.size())));
  layer.outputMerge.getResult().setType(
      withDim(layer.outputMerge.getResult().getType(), -1, width));
  // Wo [n, heads * dim]: the kept heads' columns.
  LinearOp o = layer.outputProjection;
  FailureOr<quant::WeightMatrix> wo = readProjection(o, "output projection");
  if (failed(wo))
    return failure();
  // The model file holds Wo as read, or transposed (ONNX MatMul's [in, out]).
  const bool transposed =
      static_cast<bool>(o.getWeight().getDefiningOp<TransposeOp>());
  InFlightDiagnostic remark = layer.attention.emitRemark();
  remark << kPass << ": layer " << index << ": removed query heads "
         << joinHeads(heads) << " of " << layer.qHeads;
  if (!groups.empty())
    remark << " with KV groups " << joinHeads(groups) << " of "
           << layer.kvHeads;
  remark << ", head_dim " << headDim << ", output projection '" << wo->source
         << "' input features on axis " << (transposed ? 0 : 1);
  remark.report();
  std::vector<float> columns;
  columns.reserve(wo->n * width);
  for (int64_t r = 0; r < wo->n; ++r)
    for (int64_t head : kept)
      columns.insert(columns.end(),
                     wo->values.begin() + r * wo->k + head * headDim,
                     wo->values.begin() + r * wo->k + (head + 1) * headDim);
  OpBuilder b(o);
  Value oldWo = o.getWeight();
  o.getWeightMutable().assign(makeWeight(b, o.getLoc(), {wo->n, width}, columns,
                                         wo->source + ".pruned"));
  eraseUnused(oldWo);
  return success();
}

LogicalResult maskHeads(Layer &layer, ArrayRef<int64_t> heads) {
  LinearOp o = layer.outputProjection;
  FailureOr<quant::WeightMatrix> wo = readProjection(o, "output projection");
  if (failed(wo))
    return failure();
  for (int64_t r = 0; r < wo->n; ++r)
    for (int64_t head : heads)
      std::fill_n(wo->values.begin() + r * wo->k + head * layer.headDim,
                  layer.headDim, 0.0f);
  OpBuilder b(o);
  Value old = o.getWeight();
  o.getWeightMutable().assign(makeWeight(b, o.getLoc(), {wo->n, wo->k},
                                         wo->values, wo->source + ".masked"));
  eraseUnused(old);
  return success();
}

std::string joinHeads(const std::set<int64_t> &heads) {
  return llvm::join(
      llvm::map_range(heads, [](int64_t h) { return std::to_string(h); }), ",");
}

} // namespace llmc::prune
