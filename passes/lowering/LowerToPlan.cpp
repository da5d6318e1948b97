//===- LowerToPlan.cpp - llmc graph ops to plan kernel calls --------------===//
//
// See Passes.td: llmc-lower-to-plan.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "dialects/plan/IR/PlanOps.h"
#include "runtime/format/KernelContract.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

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

/// The cache read and write around `attention`, or why there are none.
FailureOr<std::pair<KvCacheReadOp, KvCacheWriteOp>>
matchCache(AttentionOp attention, std::string &why) {
  auto read = attention.getPastKey()
                  ? attention.getPastKey().getDefiningOp<KvCacheReadOp>()
                  : KvCacheReadOp();
  if (!read || attention.getPastValue() != read.getValues()) {
    why = "attention must read its past from llmc.kv_cache_read (run "
          "llmc-kv-cache first)";
    return failure();
  }
  if (attention.getKeyMask()) {
    why = "a key mask over a compiler-made cache is not supported";
    return failure();
  }
  KvCacheWriteOp write;
  for (Operation *user : attention.getKey().getUsers())
    if (auto candidate = dyn_cast<KvCacheWriteOp>(user))
      if (candidate.getValue() == attention.getValue() &&
          candidate.getLayer() == read.getLayer() &&
          candidate.getRingAttr() == read.getRingAttr() &&
          candidate.getHeadOffsetAttr() == read.getHeadOffsetAttr())
        write = candidate;
  if (!write || write.getCache() != read.getCache() ||
      write.getPosition() != read.getPosition() ||
      write.getBlocks() != read.getBlocks()) {
    why = "the attention's new keys and values are not written to the cache "
          "it reads at the same position (through the same block table)";
    return failure();
  }
  return std::make_pair(read, write);
}

/// Whether `access` (a cache read or write) belongs to an attention that
/// lowers to cached_attention, which takes it along.
bool partOfCachedAttention(Operation *access) {
  auto cachedBy = [](Value value) {
    for (Operation *user : value.getUsers())
      if (auto attention = dyn_cast<AttentionOp>(user)) {
        std::string why;
        if (succeeded(matchCache(attention, why)))
          return true;
      }
    return false;
  };
  if (auto read = dyn_cast<KvCacheReadOp>(access))
    return cachedBy(read.getKeys());
  auto write = cast<KvCacheWriteOp>(access);
  return cachedBy(write.getValue());
}

/// `op`'s attributes as kernel parameters, and the positions of its absent
/// optional operands; failure (with `why`) for an attribute with no
/// parameter form.
LogicalResult callParams(Operation *op, Builder &b,
                         SmallVector<NamedAttribute> &params,
                         SmallVector<int64_t> &absent, std::string &why) {
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
    if (!param) {
      why = ("attribute '" + attr.getName().getValue() + "' of " +
             op->getName().getStringRef() + " has no kernel parameter form")
                .str();
      return failure();
    }
    params.push_back(b.getNamedAttr(attr.getName(), *param));
  }
  return success();
}

/// Why each op's patterns did not lower it: the conversion rolls back on
/// failure and tells no listener, so the pass reports from here.
using Reasons = DenseMap<Operation *, std::string>;

/// notifyMatchFailure that the pass can report if `op` stays illegal.
LogicalResult refuse(PatternRewriter &rewriter, Reasons &reasons, Operation *op,
                     const std::string &why) {
  reasons[op] = why;
  return rewriter.notifyMatchFailure(op, why);
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
  LowerCachedAttention(MLIRContext *context, Reasons &reasons)
      : OpRewritePattern(context), reasons(reasons) {}
  Reasons &reasons;

  LogicalResult matchAndRewrite(AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<std::pair<KvCacheReadOp, KvCacheWriteOp>> cache =
        matchCache(attention, why);
    if (failed(cache))
      return refuse(rewriter, reasons, attention, why);
    auto [read, write] = *cache;
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
    if (std::optional<int64_t> head = read.getHeadOffset())
      params.push_back(rewriter.getNamedAttr(
          "head_offset", rewriter.getI64IntegerAttr(*head)));
    int64_t headDim = cast<RankedTensorType>(attention.getQuery().getType())
                          .getShape()
                          .back();
    float scale = attention.getScale()
                      ? attention.getScale()->convertToFloat()
                      : 1.0f / std::sqrt(static_cast<float>(headDim));
    params.push_back(
        rewriter.getNamedAttr("scale", rewriter.getF32FloatAttr(scale)));
    SmallVector<Value> operands{attention.getQuery(), attention.getKey(),
                                attention.getValue(), read.getCache(),
                                read.getPosition()};
    if (Value blocks = read.getBlocks())
      operands.push_back(blocks);
    auto call = plan::CallOp::create(
        rewriter, attention.getLoc(),
        TypeRange{attention.getType(), write.getType()},
        rewriter.getStringAttr("cached_attention"), operands,
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
  LowerToCall(MLIRContext *context, Reasons &reasons)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context),
        reasons(reasons) {}
  Reasons &reasons;

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!op->getDialect() || !isa<LlmcDialect>(op->getDialect()) ||
        isa<ConstantOp, QConstantOp, AttentionOp>(op))
      return failure();
    if (isa<KvCacheReadOp, KvCacheWriteOp>(op))
      return refuse(rewriter, reasons, op,
                    "a KV-cache access outside an attention layer");
    StringRef kernel = op->getName().stripDialect();
    if (!format::findKernel(kernel))
      return refuse(rewriter, reasons, op,
                    ("no kernel '" + kernel +
                     "' in the kernel contract "
                     "(runtime/format/KernelContract.cpp)")
                        .str());
    SmallVector<NamedAttribute> params;
    SmallVector<int64_t> absent;
    std::string why;
    if (failed(callParams(op, rewriter, params, absent, why)))
      return refuse(rewriter, reasons, op, why);
    auto call = plan::CallOp::create(
        rewriter, op->getLoc(), op->getResultTypes(),
        rewriter.getStringAttr(kernel), op->getOperands(),
        rewriter.getDictionaryAttr(params), DenseI64ArrayAttr(),
        absent.empty() ? DenseI64ArrayAttr()
                       : rewriter.getDenseI64ArrayAttr(absent),
        DenseI64ArrayAttr(), DenseI64ArrayAttr());
    rewriter.replaceOp(op, call.getResults());
    return success();
  }
};

/// Whether the contract's cases of `kernel`'s enumeration `param` are the
/// llmc enum's, in order (the lowering passes enum attributes on as their
/// numbers); else why not.
template <typename Enum>
std::string casesAgree(StringRef kernel, StringRef param,
                       StringRef (*stringify)(Enum), unsigned maxValue) {
  const format::ParamDecl *decl = format::findKernel(kernel)->param(param);
  std::string mismatch;
  if (decl->caseCount() != static_cast<int64_t>(maxValue) + 1)
    mismatch = "a different number of cases";
  for (unsigned value = 0; mismatch.empty() && value <= maxValue; ++value)
    if (decl->caseName(value) != stringify(static_cast<Enum>(value)))
      mismatch = "case " + std::to_string(value) + " is '" +
                 decl->caseName(value) + "', not '" +
                 stringify(static_cast<Enum>(value)).str() + "'";
  if (mismatch.empty())
    return "";
  return (kernel + " parameter '" + param + "': " + mismatch).str();
}

/// The enumerations the contract shares with the llmc dialect.
std::string enumsAgree() {
  for (std::string why :
       {casesAgree("gated_mlp", "activation", stringifyActivation,
                   getMaxEnumValForActivation()),
        casesAgree("mlp", "activation", stringifyActivation,
                   getMaxEnumValForActivation()),
        casesAgree("rope", "mode", stringifyRopeMode,
                   getMaxEnumValForRopeMode()),
        casesAgree("compare", "kind", stringifyCompareKind,
                   getMaxEnumValForCompareKind())})
    if (!why.empty())
      return why;
  return "";
}

/// A dialect conversion: every llmc op but the weights is illegal after it
/// (a cache read or write is legal only as the part of an attention that
/// takes it along). An op no pattern lowers is reported with the reason its
/// patterns gave.
struct LowerToPlan : llmc::impl::LowerToPlanBase<LowerToPlan> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    if (std::string why = enumsAgree(); !why.empty()) {
      module.emitError("llmc-lower-to-plan: the kernel contract "
                       "(runtime/format/KernelContract.cpp) and the llmc "
                       "dialect's enums disagree: ")
          << why;
      return signalPassFailure();
    }
    ConversionTarget target(*context);
    target.addLegalDialect<plan::PlanDialect, func::FuncDialect>();
    target.addIllegalDialect<LlmcDialect>();
    target.addLegalOp<ConstantOp, QConstantOp>();
    target.addDynamicallyLegalOp<KvCacheReadOp, KvCacheWriteOp>(
        [](Operation *op) { return partOfCachedAttention(op); });

    DenseMap<std::pair<Attribute, Attribute>, Attribute> packed;
    RewritePatternSet patterns(context);
    patterns.add<PrepackTranspose>(context, packed);
    Reasons reasons;
    patterns.add<LowerReshape>(context);
    patterns.add<LowerCachedAttention, LowerToCall>(context, reasons);

    ConversionConfig config;
    config.foldingMode = DialectConversionFoldingMode::Never;
    // The conversion's own "failed to legalize" says which op but not why:
    // the reason its patterns gave replaces it.
    Operation *failedOp = nullptr;
    LogicalResult converted = success();
    {
      ScopedDiagnosticHandler quiet(context,
                                    [&](Diagnostic &) { return success(); });
      converted =
          applyPartialConversion(module, target, std::move(patterns), config);
    }
    if (succeeded(converted))
      return;
    // The conversion rolled back: the op to report is the first illegal
    // one whose patterns said why they did not apply.
    Operation *firstIllegal = nullptr;
    module.walk([&](Operation *op) {
      if (failedOp || target.isLegal(op) || !op->getDialect() ||
          !isa<LlmcDialect>(op->getDialect()))
        return;
      if (!firstIllegal)
        firstIllegal = op;
      if (reasons.count(op))
        failedOp = op;
    });
    if (!failedOp)
      failedOp = firstIllegal;
    if (!failedOp) {
      module.emitError("llmc-lower-to-plan: the conversion to plan failed");
    } else {
      auto reason = reasons.find(failedOp);
      failedOp->emitError("llmc-lower-to-plan: ")
          << (reason != reasons.end() ? reason->second
                                      : "cannot lower this op");
    }
    signalPassFailure();
  }
};

} // namespace
