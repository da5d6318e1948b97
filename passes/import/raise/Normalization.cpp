//===- Normalization.cpp - raise RMSNorm and decomposed LayerNorm ---------===//
//
//   w * (x * 1/sqrt(mean(x^2) + eps))       llama2.c, Meta Llama
//   w * (x * reciprocal(sqrt(...)))         PyTorch's dynamo exporter
//   w * (x * rsqrt(mean(x^2) + eps))        Hugging Face
//   w * (x / sqrt(mean(x^2) + eps))
// with x^2 as Pow(x, 2) or x * x, the mean over the last axis kept, and the
// weight on either side, or none (a weight of ones the clean-up already
// removed)  ->  llmc.rms_norm(x, w, eps); and
//   w * ((x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)) (+ b)
//                          ->  llmc.layer_norm(x, w, b, eps)
// (the same match: RMSNorm of x - mean(x), then the bias folded in).
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;

namespace llmc {
namespace {

/// `value` is mean(input) over the last axis, kept.
bool isLastAxisMean(Value value, Value input) {
  auto mean = value.getDefiningOp<ReduceMeanOp>();
  return mean && mean.getInput() == input && mean.getKeepDims() &&
         mean.getAxes() ==
             ArrayRef<int64_t>{mean.getInput().getType().getRank() - 1};
}

/// `value` is mean(x^2) + eps over the last axis of x; returns eps.
std::optional<double> matchMeanSquarePlusEps(Value value, Value x) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add)
    return std::nullopt;
  for (auto [meanValue, epsValue] : {std::pair(add.getLhs(), add.getRhs()),
                                     std::pair(add.getRhs(), add.getLhs())}) {
    auto mean = meanValue.getDefiningOp<ReduceMeanOp>();
    std::optional<double> eps = getSplatValue(epsValue);
    if (!mean || !eps || !mean.getKeepDims() ||
        mean.getAxes() !=
            ArrayRef<int64_t>{mean.getInput().getType().getRank() - 1})
      continue;
    Value squared = mean.getInput();
    bool isSquare = false;
    if (auto pow = squared.getDefiningOp<PowOp>())
      isSquare = pow.getLhs() == x && isSplat(pow.getRhs(), 2.0);
    if (auto mul = squared.getDefiningOp<MulOp>())
      isSquare = mul.getLhs() == x && mul.getRhs() == x;
    if (isSquare)
      return eps;
  }
  return std::nullopt;
}

/// `value` is x normalized by its root mean square; sets x and eps.
bool matchNormalized(Value value, Value &x, double &eps) {
  auto scaleBy = [&](Value input, Value inverse) {
    // inverse = 1 / sqrt(s), reciprocal(sqrt(s)) or rsqrt(s),
    // s = mean(input^2) + eps.
    Value sum;
    if (auto div = inverse.getDefiningOp<DivOp>();
        div && isSplat(div.getLhs(), 1.0))
      if (auto sqrt = div.getRhs().getDefiningOp<SqrtOp>())
        sum = sqrt.getInput();
    if (auto reciprocal = inverse.getDefiningOp<ReciprocalOp>())
      if (auto sqrt = reciprocal.getInput().getDefiningOp<SqrtOp>())
        sum = sqrt.getInput();
    if (auto rsqrt = inverse.getDefiningOp<RsqrtOp>())
      sum = rsqrt.getInput();
    if (!sum)
      return false;
    std::optional<double> found = matchMeanSquarePlusEps(sum, input);
    if (!found)
      return false;
    x = input;
    eps = *found;
    return true;
  };
  if (auto mul = value.getDefiningOp<MulOp>())
    return scaleBy(mul.getLhs(), mul.getRhs()) ||
           scaleBy(mul.getRhs(), mul.getLhs());
  if (auto div = value.getDefiningOp<DivOp>())
    if (auto sqrt = div.getRhs().getDefiningOp<SqrtOp>())
      if (std::optional<double> found =
              matchMeanSquarePlusEps(sqrt.getInput(), div.getLhs())) {
        x = div.getLhs();
        eps = *found;
        return true;
      }
  return false;
}

/// The normalized value itself (x / rms(x), or (x - mean) / std) becomes a
/// norm with a weight of ones; the weight multiply, if any, folds in after.
template <typename RootOp> struct RaiseNorm : OpRewritePattern<RootOp> {
  using OpRewritePattern<RootOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(RootOp op,
                                PatternRewriter &rewriter) const override {
    Value x;
    double eps;
    RankedTensorType type = op.getType();
    if (type.getRank() < 1 || !matchNormalized(op.getResult(), x, eps))
      return rewriter.notifyMatchFailure(
          op, "norm: not x / sqrt(mean(x^2) + eps) over the last axis");
    // From here on this is a norm: say why it is not raised.
    if (type.isDynamicDim(type.getRank() - 1))
      return recordUnraised(rewriter, op,
                            "norm not recognised: the normalized extent "
                            "is not known");
    if (x.getType() != type)
      return recordUnraised(rewriter, op,
                            "norm not recognised: its input " +
                                llvm::Twine(typeString(x.getType())) +
                                " and result " + typeString(type) + " differ");
    auto weightType = RankedTensorType::get(
        {type.getDimSize(type.getRank() - 1)}, type.getElementType());
    Value ones = ConstantOp::create(
        rewriter, op.getLoc(),
        DenseElementsAttr::get(
            weightType, rewriter.getFloatAttr(type.getElementType(), 1.0)));
    FloatAttr epsilon = rewriter.getF32FloatAttr(static_cast<float>(eps));
    // RMSNorm of x - mean(x) is LayerNorm of x.
    if (auto centered = x.getDefiningOp<SubOp>();
        centered && isLastAxisMean(centered.getRhs(), centered.getLhs()))
      rewriter.replaceOpWithNewOp<LayerNormOp>(op, centered.getLhs(), ones,
                                               Value(), epsilon);
    else
      rewriter.replaceOpWithNewOp<RmsNormOp>(op, x, ones, epsilon);
    return success();
  }
};

/// norm(x, ones) * w  ->  norm(x, w), for a per-feature w.
template <typename NormOp> struct FoldNormWeight : OpRewritePattern<MulOp> {
  using OpRewritePattern<MulOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [normalized, weight] : {std::pair(op.getLhs(), op.getRhs()),
                                      std::pair(op.getRhs(), op.getLhs())}) {
      auto norm = normalized.template getDefiningOp<NormOp>();
      if (!norm || !norm->hasOneUse() || !isSplat(norm.getWeight(), 1.0) ||
          weight.getType() != norm.getWeight().getType() ||
          op.getType() != norm.getType())
        continue;
      rewriter.modifyOpInPlace(norm,
                               [&] { norm.getWeightMutable().assign(weight); });
      rewriter.replaceOp(op, norm.getResult());
      return success();
    }
    return rewriter.notifyMatchFailure(
        op, "norm weight: not norm(x, ones) * w with w per feature and the "
            "norm used only there");
  }
};

/// A LayerNorm without bias, then the bias added: one op.
struct FoldLayerNormBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [normalized, bias] : {std::pair(op.getLhs(), op.getRhs()),
                                    std::pair(op.getRhs(), op.getLhs())}) {
      auto norm = normalized.getDefiningOp<LayerNormOp>();
      if (!norm || norm.getBias() || !norm->hasOneUse() || !isConstant(bias) ||
          bias.getType() != norm.getWeight().getType() ||
          op.getType() != norm.getType())
        continue;
      rewriter.replaceOpWithNewOp<LayerNormOp>(
          op, norm.getInput(), norm.getWeight(), bias, norm.getEpsilonAttr());
      return success();
    }
    return rewriter.notifyMatchFailure(
        op, "layer-norm bias: not a bias-free layer_norm (used only here) "
            "plus a constant per feature");
  }
};

} // namespace

void populateRaiseNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseNorm<MulOp>, RaiseNorm<DivOp>, FoldNormWeight<RmsNormOp>,
               FoldNormWeight<LayerNormOp>, FoldLayerNormBias>(
      patterns.getContext());
}

} // namespace llmc
