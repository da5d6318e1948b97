//===- ShardTensorParallel.cpp - one rank's part of each layer ------------===//
//
// See Passes.td: llmc-shard-tensor-parallel.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/kvcache/CachePlacement.h"
#include "passes/parallel/SliceWeights.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace llmc {
#define GEN_PASS_DEF_SHARDTENSORPARALLEL
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;
using namespace llmc::parallel;

namespace {

constexpr llvm::StringLiteral kPass = "llmc-shard-tensor-parallel";

/// q, k or v of an attention: [rope] reshape(projection), where the
/// projection is a linear of its own or a piece of a fused one (GPT-2's
/// QKV: one linear split along its features).
struct Projection {
  RopeOp rope;
  ReshapeOp split;
  LinearOp linear;
  /// The fused case: the split and which of its pieces this is.
  SplitOp pieces;
  unsigned piece = 0;
};

FailureOr<Projection> traceProjection(AttentionOp attention, Value heads,
                                      StringRef what, int64_t layer) {
  Projection p;
  p.rope = heads.getDefiningOp<RopeOp>();
  if (p.rope)
    heads = p.rope.getInput();
  p.split = heads.getDefiningOp<ReshapeOp>();
  Value projected = p.split ? p.split.getInput() : Value();
  if (projected)
    p.linear = projected.getDefiningOp<LinearOp>();
  if (projected && !p.linear)
    if ((p.pieces = projected.getDefiningOp<SplitOp>())) {
      p.linear = p.pieces.getInput().getDefiningOp<LinearOp>();
      p.piece = cast<OpResult>(projected).getResultNumber();
    }
  if (!p.linear)
    return attention.emitError()
           << kPass << ": layer " << layer << ": its " << what
           << " are not a projection split into heads, so they cannot be "
              "divided among the ranks";
  return p;
}

/// Head h's rows [h d, (h + 1) d), for each h in `heads`, offset by
/// `offset`; adjacent ones joined.
Ranges headRanges(ArrayRef<int64_t> heads, int64_t headDim,
                  int64_t offset = 0) {
  Ranges ranges;
  for (int64_t head : heads) {
    int64_t begin = offset + head * headDim, end = begin + headDim;
    if (!ranges.empty() && ranges.back().second == begin)
      ranges.back().second = end;
    else
      ranges.push_back({begin, end});
  }
  return ranges;
}

/// The KV cache a rank keeps: planes of `heads` kv heads.
struct CacheShape {
  int64_t heads, planes;
};

struct ShardTensorParallel
    : llmc::impl::ShardTensorParallelBase<ShardTensorParallel> {
  using ShardTensorParallelBase::ShardTensorParallelBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (ranks < 2 || rank < 0 || rank >= ranks) {
      module.emitError() << kPass << ": rank " << int64_t(rank)
                         << " of ranks=" << int64_t(ranks)
                         << " (at least 2 ranks, rank 0 up to ranks - 1)";
      return signalPassFailure();
    }
    WeightSlicer slicer(kPass);
    std::optional<CacheShape> cacheShape;
    for (auto entry : module.getOps<func::FuncOp>())
      if (failed(shardEntry(entry, slicer, cacheShape)))
        return signalPassFailure();
    // The cache's description (llmc-kv-cache's) for the artifact: the
    // rank's KV heads and planes.
    auto cache = module->getAttrOfType<DictionaryAttr>("llmc.kv_cache");
    if (cache && cacheShape) {
      NamedAttrList entries(cache);
      auto integer = [&](int64_t v) {
        return IntegerAttr::get(IntegerType::get(&getContext(), 64), v);
      };
      entries.set("kv_heads", integer(cacheShape->heads));
      entries.set("layers", integer(cacheShape->planes));
      module->setAttr("llmc.kv_cache", entries.getDictionary(&getContext()));
    }
  }

  LogicalResult shardEntry(func::FuncOp entry, WeightSlicer &slicer,
                           std::optional<CacheShape> &cacheShape) {
    SmallVector<AttentionOp> attentions;
    SmallVector<int64_t> layerKv;
    SmallVector<Operation *> feedForwards, heads, embeddings;
    entry.walk([&](Operation *op) {
      if (auto attention = dyn_cast<AttentionOp>(op))
        attentions.push_back(attention);
      else if (isa<GatedMlpOp, MlpOp>(op))
        feedForwards.push_back(op);
      else if (isa<LmHeadOp>(op))
        heads.push_back(op);
      else if (isa<EmbeddingOp>(op))
        embeddings.push_back(op);
    });
    for (auto [layer, attention] : llvm::enumerate(attentions))
      if (failed(shardAttention(attention, int64_t(layer), slicer, layerKv)))
        return failure();
    for (Operation *op : feedForwards)
      if (failed(shardFeedForward(op, slicer)))
        return failure();
    for (Operation *op : heads)
      if (failed(shardVocabulary(cast<LmHeadOp>(op), slicer)))
        return failure();
    for (Operation *op : embeddings)
      if (failed(shardEmbedding(cast<EmbeddingOp>(op), slicer)))
        return failure();
    if (!layerKv.empty()) {
      CacheShape shape = placeCache(entry, attentions, layerKv);
      if (cacheShape && (cacheShape->heads != shape.heads ||
                         cacheShape->planes != shape.planes))
        return entry.emitError()
               << kPass << ": @" << entry.getName()
               << "'s KV cache differs from the other entry points'";
      cacheShape = shape;
    }
    return success();
  }

  /// Column-parallel q, k and v (the rank's heads), the attention on them,
  /// row-parallel o and the sum of the ranks' parts.
  LogicalResult shardAttention(AttentionOp attention, int64_t layer,
                               WeightSlicer &slicer,
                               SmallVectorImpl<int64_t> &layerKv) {
    auto queryType = cast<RankedTensorType>(attention.getQuery().getType());
    auto keyType = cast<RankedTensorType>(attention.getKey().getType());
    const int64_t qHeads = queryType.getDimSize(queryType.getRank() - 2),
                  kvHeads = keyType.getDimSize(keyType.getRank() - 2),
                  headDim = queryType.getDimSize(queryType.getRank() - 1);
    auto fail = [&]() {
      return attention.emitError() << kPass << ": layer " << layer << ": ";
    };
    if (ShapedType::isDynamic(qHeads) || ShapedType::isDynamic(kvHeads) ||
        ShapedType::isDynamic(headDim) || kvHeads <= 0 || qHeads % kvHeads != 0)
      return fail() << "its head counts are not static multiples";
    if (qHeads % ranks != 0)
      return fail() << "its " << qHeads << " query heads do not divide among "
                    << int64_t(ranks) << " ranks";
    const int64_t perRank = qHeads / ranks, group = qHeads / kvHeads;
    auto queries = llvm::to_vector(
        llvm::seq<int64_t>(rank * perRank, (rank + 1) * perRank));
    // The KV heads the rank's queries read: its share when the ranks divide
    // them, else the one its queries' group reads (ranks a multiple of the
    // KV heads: vLLM's replication), else one per query head (a head two
    // ranks' queries read is held by both).
    SmallVector<int64_t> keys;
    if (kvHeads % ranks == 0)
      keys = llvm::to_vector(llvm::seq<int64_t>(
          rank * (kvHeads / ranks), (rank + 1) * (kvHeads / ranks)));
    else if (perRank <= group && group % perRank == 0)
      keys = {queries.front() / group};
    else
      for (int64_t q : queries)
        keys.push_back(q / group);
    const int64_t localKv = int64_t(keys.size());
    layerKv.push_back(localKv);

    FailureOr<Projection> q =
        traceProjection(attention, attention.getQuery(), "queries", layer);
    FailureOr<Projection> k =
        traceProjection(attention, attention.getKey(), "keys", layer);
    FailureOr<Projection> v =
        traceProjection(attention, attention.getValue(), "values", layer);
    if (failed(q) || failed(k) || failed(v))
      return failure();
    const Ranges qRows = headRanges(queries, headDim),
                 kvRows = headRanges(keys, headDim);
    if (q->pieces) {
      if (q->pieces != k->pieces || q->pieces != v->pieces || q->piece != 0 ||
          k->piece != 1 || v->piece != 2)
        return fail() << "its fused projection is not split into q, k and "
                         "v in that order";
      const int64_t qWidth = qHeads * headDim, kvWidth = kvHeads * headDim;
      Ranges rows = qRows;
      for (auto r : headRanges(keys, headDim, qWidth))
        rows.push_back(r);
      for (auto r : headRanges(keys, headDim, qWidth + kvWidth))
        rows.push_back(r);
      if (failed(shardRows(q->linear, rows, slicer)))
        return failure();
      SplitOp split = q->pieces;
      split.getResult(0).setType(
          withDim(split.getResult(0).getType(), -1, perRank * headDim));
      for (unsigned i : {1u, 2u})
        split.getResult(i).setType(
            withDim(split.getResult(i).getType(), -1, localKv * headDim));
    } else if (failed(shardRows(q->linear, qRows, slicer)) ||
               failed(shardRows(k->linear, kvRows, slicer)) ||
               failed(shardRows(v->linear, kvRows, slicer))) {
      return failure();
    }
    for (auto [p, count] :
         {std::make_pair(&*q, perRank), std::make_pair(&*k, localKv),
          std::make_pair(&*v, localKv)}) {
      p->split.getResult().setType(
          withDim(p->split.getResult().getType(), -2, count));
      if (p->rope)
        p->rope.getResult().setType(p->split.getResult().getType());
    }
    for (Value past : {attention.getPastKey(), attention.getPastValue()})
      if (past) {
        auto read = past.getDefiningOp<KvCacheReadOp>();
        if (!read)
          return fail() << "its past keys and values are not read from "
                           "the KV cache";
        past.setType(withDim(past.getType(), -2, localKv));
      }
    attention.getResult().setType(
        withDim(attention.getResult().getType(), -2, perRank));
    // The heads merged into rows, then o: the rank's heads' columns.
    auto merge = attention->hasOneUse()
                     ? dyn_cast<ReshapeOp>(*attention->getUsers().begin())
                     : ReshapeOp();
    LinearOp o = merge && merge->hasOneUse()
                     ? dyn_cast<LinearOp>(*merge->getUsers().begin())
                     : LinearOp();
    if (!o || o.getInput() != merge.getResult())
      return fail() << "its output does not go to one output projection";
    merge.getResult().setType(
        withDim(merge.getResult().getType(), -1, perRank * headDim));
    return shardColumns(o, qRows, slicer);
  }

  /// This rank's rows of `extent` (the vocabulary, hidden features):
  /// ceil(extent / ranks) each, the last ranks' padded with zero rows.
  Ranges shareOf(int64_t extent) const {
    const int64_t share = (extent + ranks - 1) / ranks;
    const int64_t begin = std::min(extent, rank * share),
                  end = std::min(extent, (rank + 1) * share);
    Ranges rows;
    if (end > begin)
      rows.push_back({begin, end});
    if (share > end - begin)
      rows.push_back({kPadding, share - (end - begin)});
    return rows;
  }

  /// A linear's output features `rows` (its weight's and bias's).
  LogicalResult shardRows(LinearOp linear, const Ranges &rows,
                          WeightSlicer &slicer) {
    if (failed(slicer.slice(linear.getWeightMutable(), Axis::out, rows)) ||
        (linear.getBias() &&
         failed(slicer.sliceVector(linear.getBiasMutable()[0], rows))))
      return failure();
    linear.getResult().setType(
        withDim(linear.getResult().getType(), -1, extentOf(rows)));
    return success();
  }

  /// A row-parallel linear: its input features `columns`, its bias on rank
  /// 0 only (added once to the sum), then the sum over the ranks.
  LogicalResult shardColumns(LinearOp linear, const Ranges &columns,
                             WeightSlicer &slicer) {
    if (failed(slicer.slice(linear.getWeightMutable(), Axis::in, columns)))
      return failure();
    if (linear.getBias() && rank != 0)
      linear.getBiasMutable().clear();
    sumOverRanks(linear.getResult());
    return success();
  }

  /// Every reader of `partial` reads its sum over the ranks instead.
  void sumOverRanks(Value partial) {
    OpBuilder b(partial.getContext());
    b.setInsertionPointAfterValue(partial);
    auto sum = AllReduceOp::create(b, partial.getLoc(), partial.getType(),
                                   partial, b.getI64IntegerAttr(ranks));
    partial.replaceAllUsesExcept(sum.getResult(), sum);
  }

  /// gated_mlp and mlp: the rank's hidden features (gate and up rows, down
  /// columns), then the sum over the ranks.
  LogicalResult shardFeedForward(Operation *op, WeightSlicer &slicer) {
    auto gated = dyn_cast<GatedMlpOp>(op);
    auto mlp = dyn_cast<MlpOp>(op);
    Value down = gated ? gated.getDown() : mlp.getDown();
    int64_t hidden = 0;
    if (auto q = dyn_cast<QWeightType>(down.getType()))
      hidden = q.getInFeatures();
    else
      hidden = cast<RankedTensorType>(down.getType()).getDimSize(1);
    // Hidden features the ranks do not divide are padded with zero rows of
    // gate and up (and bias) and zero columns of down: act(0) * 0 and
    // act(0 + 0) (silu, gelu) add nothing.
    if (hidden % ranks != 0 && isa<QWeightType>(down.getType()))
      return op->emitError()
             << kPass << ": its " << hidden
             << " hidden features do not divide among " << int64_t(ranks)
             << " ranks (quantized weights are not padded)";
    const Ranges mine = shareOf(hidden);
    if (gated) {
      if (failed(slicer.slice(gated.getGateMutable(), Axis::out, mine)) ||
          failed(slicer.slice(gated.getUpMutable(), Axis::out, mine)) ||
          failed(slicer.slice(gated.getDownMutable(), Axis::in, mine)))
        return failure();
    } else {
      if (failed(slicer.slice(mlp.getUpMutable(), Axis::out, mine)) ||
          failed(slicer.slice(mlp.getDownMutable(), Axis::in, mine)) ||
          (mlp.getUpBias() &&
           failed(slicer.sliceVector(mlp.getUpBiasMutable()[0], mine))))
        return failure();
      if (mlp.getDownBias() && rank != 0)
        mlp.getDownBiasMutable().clear();
    }
    sumOverRanks(op->getResult(0));
    return success();
  }

  /// The lm_head's rows of the rank's slice of the vocabulary (padded with
  /// zero rows to a multiple of the ranks), then the ranks' logits joined
  /// and the padding cut off.
  LogicalResult shardVocabulary(LmHeadOp head, WeightSlicer &slicer) {
    auto logitsType = cast<RankedTensorType>(head.getType());
    const int64_t vocab = logitsType.getShape().back();
    if (ShapedType::isDynamic(vocab))
      return head.emitError() << kPass << ": the vocabulary is not static";
    const Ranges rows = shareOf(vocab);
    const int64_t share = extentOf(rows);
    if (failed(slicer.slice(head.getWeightMutable(), Axis::out, rows)))
      return failure();
    head.getResult().setType(withDim(logitsType, -1, share));
    OpBuilder b(head.getContext());
    b.setInsertionPointAfter(head);
    const int64_t last = logitsType.getRank() - 1;
    auto joined = AllGatherOp::create(
        b, head.getLoc(), withDim(logitsType, -1, share * ranks),
        head.getResult(), b.getI64IntegerAttr(last),
        b.getI64IntegerAttr(ranks));
    Value logits = joined.getResult();
    if (share * ranks != vocab) {
      SmallVector<int64_t> zeros(logitsType.getRank(), 0),
          ones(logitsType.getRank(), 1);
      logits = SliceOp::create(b, head.getLoc(), logitsType, logits,
                               b.getDenseI64ArrayAttr(zeros),
                               b.getDenseI64ArrayAttr(ones));
    }
    head.getResult().replaceAllUsesExcept(logits, joined);
    return success();
  }

  /// The embedding table's rows of the rank's slice of the vocabulary (as
  /// the lm_head's, zero-padded): each rank looks up the ids in its slice,
  /// gives zeros for the others, and the sum over the ranks is the row.
  LogicalResult shardEmbedding(EmbeddingOp embedding, WeightSlicer &slicer) {
    auto table = dyn_cast<RankedTensorType>(embedding.getTable().getType());
    auto idsType = cast<RankedTensorType>(embedding.getIds().getType());
    if (!table || table.getRank() != 2 || !table.hasStaticShape())
      return embedding.emitError()
             << kPass << ": an embedding table of "
             << embedding.getTable().getType() << " is not a static matrix";
    const int64_t vocab = table.getDimSize(0);
    const Ranges rows = shareOf(vocab);
    const int64_t share = extentOf(rows);
    if (failed(slicer.slice(embedding.getTableMutable(), Axis::out, rows)))
      return failure();
    OpBuilder b(embedding);
    Location loc = embedding.getLoc();
    Type index = idsType.getElementType();
    auto scalar = [&](int64_t value) -> Value {
      auto type = RankedTensorType::get({}, index);
      return ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, b.getIntegerAttr(index, value)));
    };
    // local = ids - first; kept where 0 <= local < share, else row 0.
    Value local =
        SubOp::create(b, loc, embedding.getIds(), scalar(rank * share));
    Value above = CompareOp::create(b, loc, CompareKind::ge, local, scalar(0));
    Value below =
        CompareOp::create(b, loc, CompareKind::lt, local, scalar(share));
    Value mine = AndOp::create(b, loc, above, below);
    Value safe = SelectOp::create(b, loc, mine, local, scalar(0));
    embedding.getIdsMutable().assign(safe);
    // Rows of other ranks' ids: zeros, so the sum over the ranks is the
    // one rank's row.
    b.setInsertionPointAfter(embedding);
    DimList dims = getDims(cast<RankedTensorType>(mine.getType()));
    dims.push_back(Dim::fixed(1));
    Value column =
        ReshapeOp::create(b, loc, buildTensorType(dims, b.getI1Type()), mine);
    auto resultType = cast<RankedTensorType>(embedding.getType());
    Value zero = ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({}, resultType.getElementType()),
            b.getFloatAttr(resultType.getElementType(), 0.0)));
    Value rowsOfMine =
        SelectOp::create(b, loc, column, embedding.getResult(), zero);
    embedding.getResult().replaceAllUsesExcept(rowsOfMine,
                                               rowsOfMine.getDefiningOp());
    sumOverRanks(rowsOfMine);
    return success();
  }

  /// The cache [layers, 2, batch, kv_heads, slots, head_dim] holds the
  /// rank's `heads` KV heads: the entry's argument and result, and every
  /// value threaded through its reads and writes.
  /// The rank's KV cache: each layer's kv heads (`layerKv`, in the order
  /// of `attentions`) placed again as llmc-kv-cache places them, in planes
  /// of the most any layer keeps (layers that keep fewer, head-pruned
  /// ones, share planes); the cache ops and types follow.
  CacheShape placeCache(func::FuncOp entry, ArrayRef<AttentionOp> attentions,
                        ArrayRef<int64_t> layerKv) {
    AttentionOp first = attentions.front();
    auto firstRead = first.getPastKey().getDefiningOp<KvCacheReadOp>();
    auto old = cast<RankedTensorType>(firstRead.getCache().getType());
    SmallVector<int64_t> windows;
    SmallVector<std::pair<KvCacheReadOp, KvCacheWriteOp>> ops;
    for (AttentionOp attention : llvm::to_vector(attentions)) {
      auto read = attention.getPastKey().getDefiningOp<KvCacheReadOp>();
      KvCacheWriteOp write;
      for (Operation *user : attention.getKey().getUsers())
        if (auto found = dyn_cast<KvCacheWriteOp>(user))
          write = found;
      std::optional<ArrayRef<int64_t>> ring = read.getRing();
      windows.push_back(ring ? (*ring)[1] : 0);
      ops.push_back({read, write});
    }
    const int64_t heads = *llvm::max_element(layerKv);
    int64_t slots = 0, planes = 0;
    SmallVector<kvcache::LayerSlots> placed = kvcache::placeLayers(
        windows, layerKv, heads, old.getDimSize(4), slots, planes);
    Builder b(entry.getContext());
    for (auto [at, kv, pair] : llvm::zip(placed, layerKv, ops)) {
      DenseI64ArrayAttr ring =
          at.ring ? b.getDenseI64ArrayAttr({at.offset, at.slots})
                  : DenseI64ArrayAttr();
      IntegerAttr head =
          kv < heads ? b.getI64IntegerAttr(at.head) : IntegerAttr();
      pair.first.setLayer(at.plane);
      pair.first.setRingAttr(ring);
      pair.first.setHeadOffsetAttr(head);
      if (KvCacheWriteOp write = pair.second) {
        write.setLayer(at.plane);
        write.setRingAttr(ring);
        write.setHeadOffsetAttr(head);
      }
    }
    Type sharded =
        withDim(withDim(withDim(old, 0, planes), 3, heads), 4, slots);
    for (BlockArgument arg : entry.getArguments())
      if (arg.getType() == old)
        arg.setType(sharded);
    entry.walk([&](Operation *op) {
      for (Value result : op->getResults())
        if (result.getType() == old)
          result.setType(sharded);
    });
    auto type = entry.getFunctionType();
    SmallVector<Type> inputs(type.getInputs()), results(type.getResults());
    for (Type &t : inputs)
      if (t == old)
        t = sharded;
    for (Type &t : results)
      if (t == old)
        t = sharded;
    entry.setType(FunctionType::get(entry.getContext(), inputs, results));
    return {heads, planes};
  }
};

} // namespace
