//===- LowerToPlan.cpp - llmc graph ops to plan kernel calls --------------===//
//
// See Passes.td: llmc-lower-to-plan.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "dialects/plan/IR/PlanOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmc {
#define GEN_PASS_DEF_LOWERTOPLAN
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// A kernel parameter from an op attribute: integers (enums are their case
/// values), floats, unit flags and integer lists pass as they are.
std::optional<Attribute> asParam(Builder &b, Attribute value) {
  if (isa<IntegerAttr, FloatAttr, UnitAttr, DenseI64ArrayAttr>(value))
    return value;
  if (auto list = dyn_cast<DenseI32ArrayAttr>(value))
    return b.getDenseI64ArrayAttr(
        llvm::to_vector_of<int64_t>(list.asArrayRef()));
  if (auto array = dyn_cast<ArrayAttr>(value)) {
    SmallVector<int64_t> ints;
    for (Attribute element : array) {
      auto integer = dyn_cast<IntegerAttr>(element);
      if (!integer)
        return std::nullopt;
      ints.push_back(integer.getInt());
    }
    return b.getDenseI64ArrayAttr(ints);
  }
  return std::nullopt;
}

/// The weight `constant` permuted by `permutation`, so that kernels read it
/// in the layout they want (llmc.linear's [out, in]) with no transpose at run
/// time. The new blob is named after the old one.
FailureOr<ConstantOp> prepackTranspose(OpBuilder &b, TransposeOp transpose,
                                       ConstantOp constant) {
  auto sourceType = cast<RankedTensorType>(constant.getType());
  auto resultType = cast<RankedTensorType>(transpose.getType());
  std::optional<ArrayRef<char>> data = getRawConstantData(constant.getValue());
  if (!data || !sourceType.hasStaticShape())
    return failure();
  int64_t elementBytes =
      static_cast<int64_t>(data->size()) / sourceType.getNumElements();
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  ArrayRef<int64_t> from = sourceType.getShape();
  int64_t rank = sourceType.getRank();
  SmallVector<int64_t> fromStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    fromStrides[i] = fromStrides[i + 1] * from[i + 1];
  ArrayRef<int64_t> to = resultType.getShape();
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(data->size(), 64);
  MutableArrayRef<char> out = blob.getMutableData();
  SmallVector<int64_t> index(rank, 0);
  for (int64_t flat = 0, count = resultType.getNumElements(); flat < count;
       ++flat) {
    int64_t source = 0;
    for (int64_t i = 0; i < rank; ++i)
      source += index[i] * fromStrides[permutation[i]];
    std::memcpy(out.data() + flat * elementBytes,
                data->data() + source * elementBytes, elementBytes);
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < to[i])
        break;
      index[i] = 0;
    }
  }
  std::string name = "packed";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = resource.getRawHandle().getKey().str() + ".packed";
  auto packed =
      DenseResourceElementsAttr::get(resultType, name, std::move(blob));
  return ConstantOp::create(b, transpose.getLoc(), packed);
}

/// The cache read and write around `attention`, or failure (an error at
/// the attention with `report`).
LogicalResult matchCache(AttentionOp attention, KvCacheReadOp &read,
                         KvCacheWriteOp &write, bool report = false) {
  read = attention.getPastKey()
             ? attention.getPastKey().getDefiningOp<KvCacheReadOp>()
             : KvCacheReadOp();
  if (!read || attention.getPastValue() != read.getValues())
    return report ? attention.emitError(
                        "llmc-lower-to-plan: attention must read its past "
                        "from llmc.kv_cache_read (run llmc-kv-cache first)")
                  : failure();
  if (attention.getKeyMask())
    return report ? attention.emitError("llmc-lower-to-plan: a key mask over "
                                        "a compiler-made cache is not "
                                        "supported")
                  : failure();
  write = KvCacheWriteOp();
  for (Operation *user : attention.getKey().getUsers())
    if (auto candidate = dyn_cast<KvCacheWriteOp>(user))
      if (candidate.getValue() == attention.getValue() &&
          candidate.getLayer() == read.getLayer() &&
          candidate.getRingAttr() == read.getRingAttr())
        write = candidate;
  if (!write || write.getCache() != read.getCache() ||
      write.getPosition() != read.getPosition())
    return report ? attention.emitError(
                        "llmc-lower-to-plan: the attention's new keys and "
                        "values are not written to the cache it reads at the "
                        "same position")
                  : failure();
  return success();
}

/// `op`'s attributes as kernel parameters, and the positions of its absent
/// optional operands; failure (an error with `report`) for an attribute
/// with no parameter form.
LogicalResult callParams(Operation *op, Builder &b,
                         SmallVector<NamedAttribute> &params,
                         SmallVector<int64_t> &absent, bool report = false) {
  for (NamedAttribute attr : op->getAttrs()) {
    if (attr.getName() == "operandSegmentSizes") {
      int64_t position = 0;
      for (int32_t size :
           cast<DenseI32ArrayAttr>(attr.getValue()).asArrayRef()) {
        if (size == 0)
          absent.push_back(position);
        position += std::max(size, 1);
      }
      continue;
    }
    std::optional<Attribute> param = asParam(b, attr.getValue());
    if (!param)
      return report ? op->emitError("llmc-lower-to-plan: attribute '")
                          << attr.getName().getValue() << "' of "
                          << op->getName().getStringRef()
                          << " has no kernel parameter form"
                    : failure();
    params.push_back(b.getNamedAttr(attr.getName(), *param));
  }
  return success();
}

/// A transposed weight stored transposed, once per (weight, permutation)
/// however many entry points read it.
struct PrepackTranspose : OpRewritePattern<TransposeOp> {
  PrepackTranspose(MLIRContext *context,
                   DenseMap<std::pair<Attribute, Attribute>, Attribute> &packed)
      : OpRewritePattern(context, /*benefit=*/2), packed(packed) {}

  LogicalResult matchAndRewrite(TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    auto constant = transpose.getInput().getDefiningOp<ConstantOp>();
    if (!constant)
      return failure();
    auto key = std::make_pair(constant.getValue(),
                              Attribute(transpose.getPermutationAttr()));
    if (Attribute done = packed.lookup(key)) {
      rewriter.replaceOpWithNewOp<ConstantOp>(transpose,
                                              cast<ElementsAttr>(done));
    } else {
      FailureOr<ConstantOp> made =
          prepackTranspose(rewriter, transpose, constant);
      if (failed(made))
        return failure(); // transposed at run time instead
      packed[key] = made->getValue();
      rewriter.replaceOp(transpose, made->getResult());
    }
    if (constant->use_empty())
      rewriter.eraseOp(constant);
    return success();
  }

  DenseMap<std::pair<Attribute, Attribute>, Attribute> &packed;
};

/// kv_cache_read + attention + kv_cache_write of one layer become one
/// "cached_attention" call that appends the new keys and values to the
/// cache in place and attends over the cached prefix.
struct LowerCachedAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    KvCacheReadOp read;
    KvCacheWriteOp write;
    if (failed(matchCache(attention, read, write)))
      return failure();
    SmallVector<NamedAttribute> params = {rewriter.getNamedAttr(
        "layer", rewriter.getI64IntegerAttr(read.getLayer()))};
    if (attention.getCausal())
      params.push_back(rewriter.getNamedAttr("causal", rewriter.getUnitAttr()));
    if (IntegerAttr window = attention.getWindowAttr())
      params.push_back(rewriter.getNamedAttr("window", window));
    if (FloatAttr softcap = attention.getSoftcapAttr())
      params.push_back(rewriter.getNamedAttr("softcap", softcap));
    if (std::optional<ArrayRef<int64_t>> ring = read.getRing()) {
      params.push_back(rewriter.getNamedAttr(
          "slot_offset", rewriter.getI64IntegerAttr((*ring)[0])));
      params.push_back(rewriter.getNamedAttr(
          "slots", rewriter.getI64IntegerAttr((*ring)[1])));
    }
    int64_t headDim = cast<RankedTensorType>(attention.getQuery().getType())
                          .getShape()
                          .back();
    float scale = attention.getScale()
                      ? attention.getScale()->convertToFloat()
                      : 1.0f / std::sqrt(static_cast<float>(headDim));
    params.push_back(
        rewriter.getNamedAttr("scale", rewriter.getF32FloatAttr(scale)));
    auto call = plan::CallOp::create(
        rewriter, attention.getLoc(),
        TypeRange{attention.getType(), write.getType()},
        rewriter.getStringAttr("cached_attention"),
        ValueRange{attention.getQuery(), attention.getKey(),
                   attention.getValue(), read.getCache(), read.getPosition()},
        rewriter.getDictionaryAttr(params),
        rewriter.getDenseI64ArrayAttr({-1, 3}), DenseI64ArrayAttr(),
        DenseI64ArrayAttr(), DenseI64ArrayAttr());
    rewriter.replaceOp(attention, call.getResult(0));
    rewriter.replaceOp(write, call.getResult(1));
    rewriter.eraseOp(read);
    return success();
  }
};

struct LowerReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp reshape,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<plan::ViewOp>(reshape, reshape.getType(),
                                              reshape.getInput());
    return success();
  }
};

/// Any other graph op: a call of the kernel of its name, its attributes as
/// parameters.
struct LowerToCall : RewritePattern {
  explicit LowerToCall(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!op->getDialect() || !isa<LlmcDialect>(op->getDialect()) ||
        isa<ConstantOp, QConstantOp, AttentionOp, KvCacheReadOp,
            KvCacheWriteOp>(op))
      return failure();
    SmallVector<NamedAttribute> params;
    SmallVector<int64_t> absent;
    if (failed(callParams(op, rewriter, params, absent)))
      return failure();
    auto call = plan::CallOp::create(
        rewriter, op->getLoc(), op->getResultTypes(),
        rewriter.getStringAttr(op->getName().stripDialect()), op->getOperands(),
        rewriter.getDictionaryAttr(params), DenseI64ArrayAttr(),
        absent.empty() ? DenseI64ArrayAttr()
                       : rewriter.getDenseI64ArrayAttr(absent),
        DenseI64ArrayAttr(), DenseI64ArrayAttr());
    rewriter.replaceOp(op, call.getResults());
    return success();
  }
};

struct LowerToPlan : llmc::impl::LowerToPlanBase<LowerToPlan> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    DenseMap<std::pair<Attribute, Attribute>, Attribute> packed;
    RewritePatternSet patterns(&getContext());
    patterns.add<PrepackTranspose>(&getContext(), packed);
    patterns.add<LowerCachedAttention, LowerReshape, LowerToCall>(
        &getContext());
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)))
      return signalPassFailure();
    // What is left could not be lowered: say why.
    WalkResult left = module.walk([&](Operation *op) {
      if (!op->getDialect() || !isa<LlmcDialect>(op->getDialect()) ||
          isa<ConstantOp, QConstantOp>(op))
        return WalkResult::advance();
      reportUnlowered(op);
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }

  void reportUnlowered(Operation *op) {
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      KvCacheReadOp read;
      KvCacheWriteOp write;
      (void)matchCache(attention, read, write, /*report=*/true);
      return;
    }
    if (isa<KvCacheReadOp, KvCacheWriteOp>(op)) {
      op->emitError("llmc-lower-to-plan: a KV-cache access outside an "
                    "attention layer");
      return;
    }
    Builder b(op->getContext());
    SmallVector<NamedAttribute> params;
    SmallVector<int64_t> absent;
    if (succeeded(callParams(op, b, params, absent, /*report=*/true)))
      op->emitError("llmc-lower-to-plan: cannot lower this op");
  }
};

} // namespace
