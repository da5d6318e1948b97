//===- PruneHeads.cpp - remove chosen query heads from attention layers ---===//
//
// See Passes.td: llmc-prune-heads.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/quant/QuantTargets.h"

#include "dialects/llmc/IR/ConstantData.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <map>
#include <set>

namespace llmc {
#define GEN_PASS_DEF_PRUNEHEADS
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

constexpr StringLiteral kPass = "llmc-prune-heads";

/// "layer:head,head;layer:head" as layer -> heads, or an error message.
FailureOr<std::map<int64_t, std::set<int64_t>>> parseHeads(StringRef text,
                                                           std::string &error) {
  std::map<int64_t, std::set<int64_t>> heads;
  SmallVector<StringRef> layers;
  text.split(layers, ';', -1, /*KeepEmpty=*/false);
  for (StringRef entry : layers) {
    auto [layerText, list] = entry.trim().split(':');
    int64_t layer = 0;
    if (layerText.trim().getAsInteger(10, layer) || layer < 0 ||
        list.trim().empty()) {
      error = ("'" + entry.trim() + "' is not layer:head,head,...").str();
      return failure();
    }
    SmallVector<StringRef> items;
    list.split(items, ',', -1, /*KeepEmpty=*/false);
    for (StringRef item : items) {
      int64_t head = 0;
      if (item.trim().getAsInteger(10, head) || head < 0) {
        error = ("'" + item.trim() + "' in '" + entry.trim() +
                 "' is not a head number")
                    .str();
        return failure();
      }
      heads[layer].insert(head);
    }
  }
  return heads;
}

/// "1,4": heads as the option and the messages write them.
std::string joinHeads(const std::set<int64_t> &heads) {
  return llvm::join(
      llvm::map_range(heads, [](int64_t h) { return std::to_string(h); }), ",");
}

/// An attention layer's query side and output side, as the raise passes
/// build them: q = [rope] reshape(linear(x, Wq[, bq])) split into heads,
/// and out = linear(reshape(attention), Wo[, bo]) merging them.
struct Layer {
  AttentionOp attention;
  LinearOp queryProjection;
  ReshapeOp querySplit;
  RopeOp queryRope; // may be null
  ReshapeOp outputMerge;
  LinearOp outputProjection;
};

/// The one user of `value` of type OpTy, or null.
template <typename OpTy> OpTy soleUser(Value value) {
  if (!value.hasOneUse())
    return nullptr;
  return dyn_cast<OpTy>(*value.getUsers().begin());
}

FailureOr<Layer> traceLayer(AttentionOp attention, int64_t index) {
  Layer layer;
  layer.attention = attention;
  auto fail = [&](const Twine &why) {
    return attention.emitError() << kPass << ": layer " << index << ": " << why;
  };
  Value query = attention.getQuery();
  if (!query.hasOneUse())
    return fail("its queries are read elsewhere too");
  layer.queryRope = query.getDefiningOp<RopeOp>();
  if (layer.queryRope) {
    query = layer.queryRope.getInput();
    if (!query.hasOneUse())
      return fail("its queries before RoPE are read elsewhere too");
  }
  layer.querySplit = query.getDefiningOp<ReshapeOp>();
  if (!layer.querySplit)
    return fail("its queries are not a projection split into heads");
  layer.queryProjection = layer.querySplit.getInput().getDefiningOp<LinearOp>();
  if (!layer.queryProjection || !layer.querySplit.getInput().hasOneUse())
    return fail("its queries are not a projection of their own (fused QKV "
                "projections are not supported yet)");
  layer.outputMerge = soleUser<ReshapeOp>(attention.getResult());
  if (!layer.outputMerge)
    return fail("its output is not merged into one row per token");
  layer.outputProjection = soleUser<LinearOp>(layer.outputMerge.getResult());
  if (!layer.outputProjection ||
      layer.outputProjection.getInput() != layer.outputMerge.getResult())
    return fail("its merged output does not go to one output projection");
  return layer;
}

/// `value`'s type with dimension `dim` (negative: from the end) set to
/// `size`, its encoding kept.
RankedTensorType withDim(Value value, int64_t dim, int64_t size) {
  auto tensor = cast<RankedTensorType>(value.getType());
  if (dim < 0)
    dim += tensor.getRank();
  SmallVector<int64_t> shape(tensor.getShape());
  shape[dim] = size;
  return RankedTensorType::get(shape, tensor.getElementType(),
                               tensor.getEncoding());
}

/// A new f32 constant of `values` and `shape`, named after `source`.
Value makeWeight(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                 ArrayRef<float> values, const std::string &source) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  return ConstantOp::create(b, loc,
                            makeResourceAttr(type, source + ".pruned", bytes));
}

/// The [out, in] f32 values of `projection`'s weight.
FailureOr<quant::WeightMatrix> readProjection(LinearOp projection,
                                              StringRef what) {
  return quant::readWeight({projection,
                            projection.getWeightMutable().getOperandNumber(),
                            what.str()},
                           kPass);
}

/// Removes the heads not in `kept` (sorted) from `layer`, the `index`th
/// attention, and says so in a remark: which weight of the model file
/// loses which input features (a reference zeroes them:
/// test/e2e/pruned_heads.py).
LogicalResult pruneLayer(Layer &layer, int64_t index,
                         const std::set<int64_t> &removed,
                         ArrayRef<int64_t> kept, int64_t headDim) {
  const int64_t width = static_cast<int64_t>(kept.size()) * headDim;
  OpBuilder b(layer.attention);
  // Wq [heads * dim, k]: the kept heads' rows; bq likewise.
  LinearOp q = layer.queryProjection;
  FailureOr<quant::WeightMatrix> wq = readProjection(q, "query projection");
  if (failed(wq))
    return failure();
  std::vector<float> rows;
  rows.reserve(width * wq->k);
  for (int64_t head : kept)
    rows.insert(rows.end(), wq->values.begin() + head * headDim * wq->k,
                wq->values.begin() + (head + 1) * headDim * wq->k);
  b.setInsertionPoint(q);
  Value oldWq = q.getWeight(), oldBias = q.getBias();
  q.getWeightMutable().assign(
      makeWeight(b, q.getLoc(), {width, wq->k}, rows, wq->source));
  if (Value bias = q.getBias()) {
    auto constant = bias.getDefiningOp<ConstantOp>();
    std::optional<std::vector<float>> values =
        constant ? quant::readF32Constant(constant) : std::nullopt;
    if (!values)
      return q.emitError() << kPass << ": the query bias is not a constant";
    std::vector<float> keptBias;
    for (int64_t head : kept)
      keptBias.insert(keptBias.end(), values->begin() + head * headDim,
                      values->begin() + (head + 1) * headDim);
    std::string name = "query_bias";
    if (auto resource =
            dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      name = resource.getRawHandle().getKey().str();
    q.getBiasMutable().assign(
        makeWeight(b, q.getLoc(), {width}, keptBias, name));
  }
  q.getResult().setType(withDim(q.getResult(), -1, width));
  // The head split, RoPE, attention and merge: fewer heads.
  const int64_t heads = static_cast<int64_t>(kept.size());
  layer.querySplit.getResult().setType(
      withDim(layer.querySplit.getResult(), -2, heads));
  if (layer.queryRope)
    layer.queryRope.getResult().setType(layer.querySplit.getResult().getType());
  layer.attention.getResult().setType(
      withDim(layer.attention.getResult(), -2, heads));
  layer.outputMerge.getResult().setType(
      withDim(layer.outputMerge.getResult(), -1, width));
  // Wo [n, heads * dim]: the kept heads' columns.
  LinearOp o = layer.outputProjection;
  FailureOr<quant::WeightMatrix> wo = readProjection(o, "output projection");
  if (failed(wo))
    return failure();
  // The model file holds Wo as read, or transposed (ONNX MatMul's [in, out]).
  const bool transposed =
      static_cast<bool>(o.getWeight().getDefiningOp<TransposeOp>());
  layer.attention.emitRemark()
      << kPass << ": layer " << index << ": removed query heads "
      << joinHeads(removed) << " of " << kept.size() + removed.size()
      << ", head_dim " << headDim << ", output projection '" << wo->source
      << "' input features on axis " << (transposed ? 0 : 1);
  std::vector<float> columns;
  columns.reserve(wo->n * width);
  for (int64_t r = 0; r < wo->n; ++r)
    for (int64_t head : kept)
      columns.insert(columns.end(),
                     wo->values.begin() + r * wo->k + head * headDim,
                     wo->values.begin() + r * wo->k + (head + 1) * headDim);
  b.setInsertionPoint(o);
  Value oldWo = o.getWeight();
  o.getWeightMutable().assign(
      makeWeight(b, o.getLoc(), {wo->n, width}, columns, wo->source));
  // The old weights and their transposes, unless something else reads them.
  for (Value old : {oldWq, oldBias, oldWo}) {
    Operation *op = old ? old.getDefiningOp() : nullptr;
    while (op && op->use_empty()) {
      Operation *input =
          isa<TransposeOp>(op) ? op->getOperand(0).getDefiningOp() : nullptr;
      op->erase();
      op = input;
    }
  }
  return success();
}

struct PruneHeads : llmc::impl::PruneHeadsBase<PruneHeads> {
  using PruneHeadsBase::PruneHeadsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &why) {
      module.emitError() << kPass << ": " << why;
      signalPassFailure();
    };
    std::string error;
    FailureOr<std::map<int64_t, std::set<int64_t>>> chosen =
        parseHeads(heads, error);
    if (failed(chosen))
      return fail("heads=" + heads + ": " + error);
    if (chosen->empty())
      return;
    if (module->hasAttr("llmc.kv_cache"))
      return fail("the model already has a KV cache: prune before "
                  "llmc-kv-cache (right after raising)");
    SmallVector<AttentionOp> attentions;
    module.walk([&](AttentionOp op) { attentions.push_back(op); });
    const int64_t count = static_cast<int64_t>(attentions.size());
    for (auto &[index, removed] : *chosen) {
      if (index >= count)
        return fail("layer " + Twine(index) +
                    " does not exist (the model has " + Twine(count) +
                    " attention layers, 0 to " + Twine(count - 1) + ")");
      FailureOr<Layer> layer = traceLayer(attentions[index], index);
      if (failed(layer))
        return signalPassFailure();
      auto queryType =
          cast<RankedTensorType>(layer->attention.getQuery().getType());
      auto keyType =
          cast<RankedTensorType>(layer->attention.getKey().getType());
      const int64_t rank = queryType.getRank();
      const int64_t qHeads = queryType.getDimSize(rank - 2),
                    kvHeads = keyType.getDimSize(rank - 2),
                    headDim = queryType.getDimSize(rank - 1);
      if (*removed.rbegin() >= qHeads)
        return fail("layer " + Twine(index) + " has no head " +
                    Twine(*removed.rbegin()) + " (it has " + Twine(qHeads) +
                    " query heads, 0 to " + Twine(qHeads - 1) + ")");
      if (static_cast<int64_t>(removed.size()) == qHeads)
        return fail("pruning every head of layer " + Twine(index) +
                    " would leave it without heads");
      // Grouped-query attention: query head h reads KV head h / group, so
      // each group must lose as many heads as the others.
      const int64_t group = qHeads / kvHeads;
      std::vector<int64_t> perGroup(kvHeads, 0);
      for (int64_t head : removed)
        ++perGroup[head / group];
      if (llvm::any_of(perGroup, [&](int64_t n) { return n != perGroup[0]; }))
        return fail("layer " + Twine(index) + ": the query heads " +
                    joinHeads(removed) + " take unequal numbers from its " +
                    Twine(kvHeads) + " KV groups of " + Twine(group) +
                    " (query heads inside each group must stay equal in "
                    "number)");
      std::vector<int64_t> kept;
      for (int64_t head = 0; head < qHeads; ++head)
        if (!removed.count(head))
          kept.push_back(head);
      if (failed(pruneLayer(*layer, index, removed, kept, headDim)))
        return signalPassFailure();
    }
  }
};

} // namespace
