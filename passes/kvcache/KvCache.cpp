//===- KvCache.cpp - prefill and decode over a compiler-made KV cache -----===//
//
// See Passes.td: llmc-kv-cache.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/analysis/ShapeValues.h"
#include "passes/analysis/SliceEvaluator.h"
#include "passes/kvcache/CachePlacement.h"
#include "passes/kvcache/SequencePositions.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace llmc {
#define GEN_PASS_DEF_KVCACHE
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;
using namespace llmc::kvcache;

namespace {

struct CacheShape {
  /// kvHeads: the most any layer has, which a plane holds.
  int64_t layers = 0, kvHeads = 0, headDim = 0;
  /// Each attention layer's sliding window (0: none) and kv heads.
  SmallVector<int64_t> windows, layerKvHeads;
  Dim batch = Dim::unknown();
  Type elementType;
};

/// Where one attention layer's keys and values live: plane `plane` of the
/// cache, all of its slots or (`ring`) `slots` of them from `offset`, and
/// its kv heads from `head` on.

/// The positions the model knows: the rows of its RoPE tables and of
/// embedding tables indexed by something other than the token ids (learned
/// position embeddings), whichever is fewest; nothing when it has neither.
std::optional<int64_t> contextLength(func::FuncOp function) {
  std::optional<int64_t> length;
  auto limit = [&](Value table) {
    auto type = cast<RankedTensorType>(table.getType());
    if (type.getRank() >= 1 && !type.isDynamicDim(0))
      length = std::min(length.value_or(INT64_MAX), type.getDimSize(0));
  };
  function.walk([&](Operation *op) {
    if (auto rope = dyn_cast<RopeOp>(op))
      limit(rope.getCos());
    else if (auto embedding = dyn_cast<EmbeddingOp>(op))
      if (!isa<BlockArgument>(embedding.getIds()))
        limit(embedding.getTable());
  });
  return length;
}

/// The attention ops of `function` in program order, checked to be what the
/// pass can give a cache: causal, no past or key mask, one head_dim and
/// element type (kv heads may differ: head-pruned layers).
FailureOr<SmallVector<AttentionOp>> collectLayers(func::FuncOp function,
                                                  CacheShape &shape) {
  SmallVector<AttentionOp> layers;
  WalkResult walk = function.walk([&](AttentionOp op) {
    if (!op.getCausal() || op.getPastKey() || op.getKeyMask()) {
      op.emitError("llmc-kv-cache: expects causal attention without past or "
                   "key mask (a graph that already carries a cache)");
      return WalkResult::interrupt();
    }
    auto keyType = cast<RankedTensorType>(op.getKey().getType());
    DimList dims = getDims(keyType);
    if (!dims[2].isStatic() || !dims[3].isStatic()) {
      op.emitError("llmc-kv-cache: kv heads and head_dim must be static");
      return WalkResult::interrupt();
    }
    if (layers.empty()) {
      shape.headDim = dims[3].getSize();
      shape.batch = dims[0];
      shape.elementType = keyType.getElementType();
    } else if (shape.headDim != dims[3].getSize() ||
               shape.elementType != keyType.getElementType()) {
      op.emitError("llmc-kv-cache: layers differ in head_dim or element "
                   "type");
      return WalkResult::interrupt();
    }
    shape.kvHeads = std::max(shape.kvHeads, dims[2].getSize());
    shape.layerKvHeads.push_back(dims[2].getSize());
    layers.push_back(op);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  shape.layers = layers.size();
  for (AttentionOp op : layers)
    shape.windows.push_back(op.getWindow().value_or(0));
  return layers;
}

/// Looks through a [b, h, s, d] <-> [b, s, h, d] transpose.
Value throughHeadSwap(Value value) {
  if (auto transpose = value.getDefiningOp<TransposeOp>())
    if (transpose.getPermutation() == ArrayRef<int64_t>{0, 2, 1, 3})
      return transpose.getInput();
  return value;
}

/// Positions 0..s-1 of type `type` ([sequence] or [batch, sequence], the
/// batch rows alike); the decode entry point later offsets the iota.
Value sequencePositions(OpBuilder &b, Location loc, RankedTensorType type) {
  DimList dims = getDims(type);
  Type element = type.getElementType();
  Value iota = IotaOp::create(b, loc, buildTensorType({dims.back()}, element));
  if (type.getRank() == 1)
    return iota;
  Value row = ReshapeOp::create(
      b, loc, buildTensorType({Dim::fixed(1), dims.back()}, element), iota);
  return ExpandOp::create(b, loc, type, row);
}

/// Rope positions that onnxruntime-genai computes from attention_mask
/// (seqlens_k + 1 - s + i): with no padding they are past + i, which the
/// decode entry point makes again from its position. Checked by running
/// the computation with a mask of ones (total = past + sequence).
LogicalResult replaceMaskDerivedPositions(func::FuncOp function,
                                          BlockArgument attentionMask) {
  SmallVector<RopeOp> ropes;
  function.walk([&](RopeOp rope) {
    bool readsMask = false;
    if (readsOnly(rope.getPositions(), attentionMask, &readsMask) &&
        readsMask && !isa<BlockArgument>(rope.getPositions()))
      ropes.push_back(rope);
  });
  if (ropes.empty())
    return success();
  auto maskType = cast<RankedTensorType>(attentionMask.getType());
  OpBuilder b(function.getContext());
  for (RopeOp rope : ropes) {
    auto type = cast<RankedTensorType>(rope.getPositions().getType());
    DimList dims = getDims(type);
    if (!dims.back().isNamed())
      return rope.emitError("llmc-kv-cache: rope positions need a named "
                            "sequence extent");
    // Sample extents: batch 2, sequence 3, past 4 (the mask's total 7).
    llvm::StringMap<int64_t> extents;
    for (StringAttr name : argumentDimNames(function))
      extents[name.getValue()] = 2;
    const int64_t sequence = 3, past = 4;
    extents[dims.back().getName().getValue()] = sequence;
    DimList maskDims = getDims(maskType);
    if (maskDims.size() != 2 || !maskDims[1].isNamed())
      return rope.emitError("llmc-kv-cache: attention_mask must be [batch, "
                            "total] with a named total");
    extents[maskDims[1].getName().getValue()] = past + sequence;
    SliceEvaluator evaluator(std::move(extents));
    FailureOr<SmallVector<int64_t>> maskShape = evaluator.extentsOf(maskType);
    if (failed(maskShape))
      return rope.emitError("llmc-kv-cache: cannot size attention_mask");
    EvalTensor ones{*maskShape, {}};
    ones.data.assign(ones.numElements(), 1.0);
    evaluator.bind(attentionMask, ones);
    FailureOr<const EvalTensor *> result =
        evaluator.evaluate(rope.getPositions());
    bool matches = succeeded(result) && !(*result)->shape.empty() &&
                   (*result)->shape.back() == sequence;
    for (int64_t n = 0; matches && n < (*result)->numElements(); ++n)
      matches = (*result)->data[n] == double(past + n % sequence);
    if (!matches)
      return rope.emitError("llmc-kv-cache: rope positions computed from "
                            "attention_mask are not past + 0..s-1");
    b.setInsertionPoint(rope);
    rope.getPositionsMutable().assign(
        sequencePositions(b, rope.getLoc(), type));
  }
  return success();
}

/// Reads of `past`'s length (Gather(ShapeOf(past), the axis named like
/// the attention's past)) become 0: the full-sequence graph starts at
/// position 0, and the decode entry point offsets its positions later
/// (Gemma's optimum export computes RoPE positions as past + 0..s-1).
void zeroPastLengths(BlockArgument past, Dim pastDim, OpBuilder &b) {
  DimList dims = getDims(cast<RankedTensorType>(past.getType()));
  for (Operation *user : llvm::make_early_inc_range(past.getUsers())) {
    auto shape = dyn_cast<ShapeOfOp>(user);
    if (!shape)
      continue;
    for (Operation *read : llvm::make_early_inc_range(shape->getUsers())) {
      auto gather = dyn_cast<GatherOp>(read);
      std::optional<SmallVector<int64_t>> axes =
          gather ? evaluateStaticInts(gather.getIndices()) : std::nullopt;
      if (!axes || axes->size() != 1 || (*axes)[0] < 0 ||
          (*axes)[0] >= int64_t(dims.size()) || dims[(*axes)[0]] != pastDim)
        continue;
      b.setInsertionPoint(gather);
      auto type = cast<RankedTensorType>(gather.getType());
      Value zero = ConstantOp::create(
          b, gather.getLoc(),
          DenseElementsAttr::get(type,
                                 b.getIntegerAttr(type.getElementType(), 0)));
      gather.replaceAllUsesWith(zero);
      gather.erase();
    }
    if (shape.use_empty())
      shape.erase();
  }
}

/// A graph that carries its own cache (optimum's past_key_values inputs and
/// present outputs, attention_mask, position_ids) becomes a full-sequence
/// graph: each attention drops its past and key mask, the presents
/// (Concat(past, new)) leave the results, position_ids become 0..s-1, and
/// the inputs nothing reads any more are removed. The compiler's cache then
/// takes their place; padding (attention_mask zeros) is not supported by
/// these entry points.
LogicalResult absorbCacheInputs(func::FuncOp function) {
  SmallVector<AttentionOp> withPast;
  function.walk([&](AttentionOp op) {
    if (op.getPastKey())
      withPast.push_back(op);
  });
  if (withPast.empty())
    return success();
  OpBuilder b(function.getContext());
  for (AttentionOp op : withPast) {
    auto pastKey = dyn_cast<BlockArgument>(throughHeadSwap(op.getPastKey()));
    auto pastValue =
        dyn_cast<BlockArgument>(throughHeadSwap(op.getPastValue()));
    if (!pastKey || !pastValue)
      return op.emitError("llmc-kv-cache: the past keys and values must be "
                          "inputs of the graph");
    Value keyMask = op.getKeyMask();
    BlockArgument attentionMask = namedArgument(function, "attention_mask");
    if (keyMask && (!attentionMask || !readsOnly(keyMask, attentionMask)))
      return op.emitError("llmc-kv-cache: the key mask must be computed from "
                          "the attention_mask input alone");
    Dim pastDim = getDims(cast<RankedTensorType>(op.getPastKey().getType()))[1];
    if (pastDim.isNamed()) {
      zeroPastLengths(pastKey, pastDim, b);
      zeroPastLengths(pastValue, pastDim, b);
    }
    op.getPastKeyMutable().clear();
    op.getPastValueMutable().clear();
    op.getKeyMaskMutable().clear();
  }
  // Drop the presents: results that concatenate a past input with new ones.
  auto ret = cast<func::ReturnOp>(function.getBody().back().getTerminator());
  SmallVector<Value> kept;
  SmallVector<Type> keptTypes;
  SmallVector<DictionaryAttr> keptAttrs;
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    auto concat = value.getDefiningOp<ConcatOp>();
    if (concat && concat.getInputs().size() == 2 &&
        isa<BlockArgument>(concat.getInputs()[0]))
      continue;
    kept.push_back(value);
    keptTypes.push_back(value.getType());
    keptAttrs.push_back(function.getResultAttrDict(i));
  }
  b.setInsertionPoint(ret);
  func::ReturnOp::create(b, ret.getLoc(), kept);
  ret.erase();
  function.setType(FunctionType::get(function.getContext(),
                                     function.getArgumentTypes(), keptTypes));
  function.setAllResultAttrs(keptAttrs);
  if (BlockArgument mask = namedArgument(function, "attention_mask"))
    if (failed(replaceMaskDerivedPositions(function, mask)))
      return failure();
  // Positions 0..s-1 (offset by the decode position later).
  if (BlockArgument positions = namedArgument(function, "position_ids")) {
    auto type = cast<RankedTensorType>(positions.getType());
    DimList dims = getDims(type);
    if (dims.size() != 2 || !dims[1].isNamed())
      return function.emitError("llmc-kv-cache: position_ids must be "
                                "[batch, sequence]");
    b.setInsertionPointToStart(&function.getBody().front());
    positions.replaceAllUsesWith(sequencePositions(b, function.getLoc(), type));
  }
  // What fed only the presents and old masks is dead now.
  for (Operation &op : llvm::make_early_inc_range(
           llvm::reverse(function.getBody().front().getOperations())))
    if (isOpTriviallyDead(&op))
      op.erase();
  // Inputs nothing reads any more: caches, attention_mask, position_ids.
  for (int64_t i = int64_t(function.getNumArguments()) - 1; i > 0; --i) {
    BlockArgument arg = function.getArgument(i);
    if (!arg.use_empty())
      return function.emitError("llmc-kv-cache: input ")
             << i << " is still read after the cache inputs were replaced";
    (void)function.eraseArgument(i);
  }
  return success();
}

struct KvCache : llmc::impl::KvCacheBase<KvCache> {
  using KvCacheBase::KvCacheBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("llmc-kv-cache: no @main function");
      return signalPassFailure();
    }
    // A graph without attention has nothing to cache: it runs as it is,
    // through its own entry point @main.
    if (!main.walk([](AttentionOp) { return WalkResult::interrupt(); })
             .wasInterrupted())
      return markAllAnalysesPreserved();
    if (failed(absorbCacheInputs(main)))
      return signalPassFailure();
    if (main.getNumArguments() < 1) {
      main.emitError("llmc-kv-cache: @main takes no token ids");
      return signalPassFailure();
    }
    auto ids = dyn_cast<RankedTensorType>(main.getArgument(0).getType());
    if (!ids || ids.getRank() != 2 || !getDims(ids)[1].isNamed()) {
      main.emitError("llmc-kv-cache: @main's first argument must be token "
                     "ids [batch, sequence] with a named sequence extent");
      return signalPassFailure();
    }
    CacheShape shape;
    if (failed(collectLayers(main, shape)))
      return signalPassFailure();
    std::optional<int64_t> context = contextLength(main);
    int64_t positions = maxSeq;
    if (positions == 0)
      positions = context.value_or(2048);
    if (positions < 1) {
      module.emitError("llmc-kv-cache: max-seq must be positive");
      return signalPassFailure();
    }
    if (context && positions > *context) {
      module.emitError("llmc-kv-cache: max-seq ")
          << positions << " exceeds the model's " << *context
          << " positions (its RoPE tables or position embeddings)";
      return signalPassFailure();
    }
    const bool paged = blockTokens > 0;
    if (blockTokens < 0 || (paged && (!llvm::isPowerOf2_64(blockTokens) ||
                                      blockTokens > positions))) {
      module.emitError("llmc-kv-cache: block-tokens ")
          << int64_t(blockTokens)
          << " must be a power of two, at most max-seq (" << positions << ")";
      return signalPassFailure();
    }
    // Windowed layers keep rings of their window's slots, so the cache
    // stops growing with the sequence where they are; a paged cache
    // allocates blocks as positions come instead, and keeps no rings.
    int64_t slots = 0, planes = 0;
    SmallVector<int64_t> windows = shape.windows;
    if (paged)
      windows.assign(windows.size(), 0);
    SmallVector<LayerSlots> placed = placeLayers(
        windows, shape.layerKvHeads, shape.kvHeads, positions, slots, planes);
    MLIRContext *mlirContext = module.getContext();
    Type cacheType =
        paged
            ? buildTensorType(
                  {Dim::named(StringAttr::get(mlirContext, "kv_blocks")),
                   Dim::fixed(planes), Dim::fixed(2), Dim::fixed(shape.kvHeads),
                   Dim::fixed(blockTokens), Dim::fixed(shape.headDim)},
                  shape.elementType)
            : buildTensorType({Dim::fixed(planes), Dim::fixed(2), shape.batch,
                               Dim::fixed(shape.kvHeads), Dim::fixed(slots),
                               Dim::fixed(shape.headDim)},
                              shape.elementType);
    Type blocksType;
    if (paged)
      blocksType = buildTensorType(
          {shape.batch, Dim::fixed(llvm::divideCeil(positions, blockTokens))},
          IntegerType::get(mlirContext, 32));
    func::FuncOp decode =
        buildDecode(main, cacheType, blocksType, getDims(ids)[1], placed);
    if (!decode)
      return signalPassFailure();
    buildPrefill(decode, /*fromZero=*/!paged);
    main.erase();
    Builder b(mlirContext);
    SmallVector<NamedAttribute> layout = {
        b.getNamedAttr("layout",
                       b.getStringAttr(paged ? "blocks, layers, k/v, kv_heads, "
                                               "block_tokens, head_dim"
                                             : "layers, k/v, batch, kv_heads, "
                                               "slots, head_dim")),
        b.getNamedAttr("layers", b.getI64IntegerAttr(planes)),
        b.getNamedAttr("attention_layers", b.getI64IntegerAttr(shape.layers)),
        b.getNamedAttr("kv_heads", b.getI64IntegerAttr(shape.kvHeads)),
        b.getNamedAttr("max_seq", b.getI64IntegerAttr(positions)),
        b.getNamedAttr("slots", b.getI64IntegerAttr(slots)),
        b.getNamedAttr("head_dim", b.getI64IntegerAttr(shape.headDim))};
    if (paged)
      layout.push_back(
          b.getNamedAttr("block_tokens", b.getI64IntegerAttr(blockTokens)));
    module->setAttr("llmc.kv_cache", b.getDictionaryAttr(layout));
  }

  /// @decode(ids, cache, position): @main with each attention reading its
  /// past from the cache and writing its new keys and values into it; with
  /// `blocksType`, @decode(ids, cache, positions [batch], blocks), through
  /// the block table, each sequence at its own position.
  func::FuncOp buildDecode(func::FuncOp main, Type cacheType, Type blocksType,
                           Dim sequence, ArrayRef<LayerSlots> placed) {
    OpBuilder b(main);
    auto decode = cast<func::FuncOp>(b.clone(*main));
    decode.setSymName("decode");
    MLIRContext *context = main.getContext();
    Type positionType = RankedTensorType::get({}, b.getI64Type());
    unsigned cacheIndex = decode.getNumArguments();
    if (failed(decode.insertArgument(
            cacheIndex, cacheType,
            b.getDictionaryAttr(
                {b.getNamedAttr("llmc.name", b.getStringAttr("cache"))}),
            decode.getLoc())) ||
        failed(decode.insertArgument(
            cacheIndex + 1, positionType,
            b.getDictionaryAttr(
                {b.getNamedAttr("llmc.name", b.getStringAttr("position"))}),
            decode.getLoc())))
      return func::FuncOp();
    if (blocksType && failed(decode.insertArgument(
                          cacheIndex + 2, blocksType,
                          b.getDictionaryAttr({b.getNamedAttr(
                              "llmc.name", b.getStringAttr("blocks"))}),
                          decode.getLoc())))
      return func::FuncOp();
    Value cache = decode.getArgument(cacheIndex);
    Value position = decode.getArgument(cacheIndex + 1);
    Value blocks = blocksType ? decode.getArgument(cacheIndex + 2) : Value();

    // Absolute positions: every Range over the sequence starts at position.
    SmallVector<IotaOp> iotas;
    decode.walk([&](IotaOp iota) {
      DimList dims = getDims(iota.getType());
      if (dims.size() == 1 && dims[0] == sequence)
        iotas.push_back(iota);
    });
    for (IotaOp iota : iotas) {
      b.setInsertionPointAfter(iota);
      Value shifted = AddOp::create(b, iota.getLoc(), iota.getType(),
                                    iota.getResult(), position);
      iota.getResult().replaceAllUsesExcept(shifted, shifted.getDefiningOp());
    }

    SmallVector<AttentionOp> layers;
    decode.walk([&](AttentionOp op) { layers.push_back(op); });
    StringAttr pastName = StringAttr::get(context, "past");
    for (auto [layer, op] : llvm::enumerate(layers)) {
      b.setInsertionPoint(op);
      auto keyType = cast<RankedTensorType>(op.getKey().getType());
      DimList pastDims = getDims(keyType);
      pastDims[1] = Dim::named(pastName);
      Type pastType = buildTensorType(pastDims, keyType.getElementType());
      const LayerSlots &at = placed[layer];
      DenseI64ArrayAttr ring =
          at.ring ? b.getDenseI64ArrayAttr({at.offset, at.slots})
                  : DenseI64ArrayAttr();
      // A layer with fewer kv heads than the plane says where its start.
      const int64_t planeHeads =
          cast<RankedTensorType>(cacheType).getDimSize(3);
      IntegerAttr head = keyType.getDimSize(2) < planeHeads
                             ? b.getI64IntegerAttr(at.head)
                             : IntegerAttr();
      auto read =
          KvCacheReadOp::create(b, op.getLoc(), pastType, pastType, cache,
                                at.plane, position, blocks, ring, head);
      op.getPastKeyMutable().assign(read.getKeys());
      op.getPastValueMutable().assign(read.getValues());
      b.setInsertionPointAfter(op);
      cache = KvCacheWriteOp::create(b, op.getLoc(), cacheType, cache, at.plane,
                                     position, op.getKey(), op.getValue(),
                                     blocks, ring, head);
    }
    // Return the cache too.
    auto ret = cast<func::ReturnOp>(decode.getBody().back().getTerminator());
    SmallVector<Value> results(ret.getOperands());
    results.push_back(cache);
    b.setInsertionPoint(ret);
    func::ReturnOp::create(b, ret.getLoc(), results);
    ret.erase();
    SmallVector<Type> resultTypes(decode.getResultTypes());
    resultTypes.push_back(cacheType);
    SmallVector<DictionaryAttr> resultAttrs;
    decode.getAllResultAttrs(resultAttrs);
    resultAttrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("llmc.name", b.getStringAttr("cache"))}));
    decode.setType(
        FunctionType::get(context, decode.getArgumentTypes(), resultTypes));
    decode.setAllResultAttrs(resultAttrs);
    // Through a block table, each sequence at its own position.
    if (blocksType && failed(kvcache::positionPerSequence(
                          decode, cast<BlockArgument>(position), "positions",
                          "llmc-kv-cache")))
      return func::FuncOp();
    return decode;
  }

  /// @prefill: @decode with the lm_head applied to the last position only
  /// when the logits are returned as it makes them; `fromZero`, at
  /// position 0 (@prefill(ids, cache)), else where @decode's positions say
  /// (a paged cache's prefill may start after a cached prefix).
  void buildPrefill(func::FuncOp decode, bool fromZero) {
    OpBuilder b(decode);
    auto prefill = cast<func::FuncOp>(b.clone(*decode));
    prefill.setSymName("prefill");
    if (fromZero) {
      unsigned positionIndex = prefill.getNumArguments() - 1;
      b.setInsertionPointToStart(&prefill.getBody().front());
      Value zero = ConstantOp::create(
          b, prefill.getLoc(),
          DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                 b.getI64IntegerAttr(0)));
      prefill.getArgument(positionIndex).replaceAllUsesWith(zero);
      (void)prefill.eraseArgument(positionIndex);
    }

    SmallVector<LmHeadOp> heads;
    prefill.walk([&](LmHeadOp head) { heads.push_back(head); });
    auto ret = cast<func::ReturnOp>(prefill.getBody().back().getTerminator());
    for (LmHeadOp head : heads) {
      // The logits, or an elementwise chain of them with scalars (Gemma 2's
      // final soft-cap), returned: the last position is all that is kept.
      SmallVector<Operation *> chain;
      Value logits = followScalarChain(head.getResult(), chain);
      if (!logits.hasOneUse() || *logits.user_begin() != ret.getOperation())
        continue;
      auto hiddenType = cast<RankedTensorType>(head.getInput().getType());
      int64_t rank = hiddenType.getRank();
      if (rank < 2)
        continue;
      DimList dims = getDims(hiddenType);
      dims[rank - 2] = Dim::fixed(1);
      SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
      offsets[rank - 2] = -1;
      b.setInsertionPoint(head);
      Value last = SliceOp::create(
          b, head.getLoc(), buildTensorType(dims, hiddenType.getElementType()),
          head.getInput(), b.getDenseI64ArrayAttr(offsets),
          b.getDenseI64ArrayAttr(strides));
      auto lastHead =
          LmHeadOp::create(b, head.getLoc(), last, head.getWeight());
      head.replaceAllUsesWith(lastHead.getResult());
      head.erase();
      for (Operation *op : chain)
        op->getResult(0).setType(lastHead.getType());
    }
    prefill.setType(FunctionType::get(prefill.getContext(),
                                      prefill.getArgumentTypes(),
                                      ret.getOperandTypes()));
  }
};

} // namespace
