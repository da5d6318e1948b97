//===- Activations.cpp - raise SiLU and GELU ------------------------------===//
//
// x * sigmoid(x)                                    -> llmc.silu
// 0.5 * x * (1 + erf(x / sqrt(2)))                  -> llmc.gelu (exact)
// 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) -> llmc.gelu tanh
// in the association orders PyTorch's exporters produce.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;

namespace llmc {
namespace {

struct RaiseSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [x, other] : {std::pair(op.getLhs(), op.getRhs()),
                            std::pair(op.getRhs(), op.getLhs())}) {
      auto sigmoid = other.getDefiningOp<SigmoidOp>();
      if (!sigmoid || sigmoid.getInput() != x || x.getType() != op.getType())
        continue;
      rewriter.replaceOpWithNewOp<SiluOp>(op, x);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "SiLU: not x * sigmoid(x)");
  }
};

/// `value` is x * c or c * x with a splat c; returns x.
Value matchScaled(Value value, double c) {
  auto mul = value.getDefiningOp<MulOp>();
  if (!mul)
    return Value();
  if (isSplat(mul.getRhs(), c))
    return mul.getLhs();
  if (isSplat(mul.getLhs(), c))
    return mul.getRhs();
  return Value();
}

/// `value` is x^3 as Pow(x, 3) or x * x * x; returns x.
Value matchCube(Value value) {
  if (auto pow = value.getDefiningOp<PowOp>())
    return isSplat(pow.getRhs(), 3.0) ? pow.getLhs() : Value();
  auto mul = value.getDefiningOp<MulOp>();
  if (!mul)
    return Value();
  for (auto [x, square] : {std::pair(mul.getLhs(), mul.getRhs()),
                           std::pair(mul.getRhs(), mul.getLhs())})
    if (auto sq = square.getDefiningOp<MulOp>();
        sq && sq.getLhs() == x && sq.getRhs() == x)
      return x;
  return Value();
}

/// The argument of GELU's inner function: erf(x / sqrt(2)) or
/// tanh(sqrt(2/pi) * (x + 0.044715 * x^3)). Sets `tanh` for the latter.
Value matchGeluInner(Value value, bool &tanh) {
  if (auto erf = value.getDefiningOp<ErfOp>()) {
    tanh = false;
    Value scaled = erf.getInput();
    if (auto div = scaled.getDefiningOp<DivOp>();
        div && isSplat(div.getRhs(), std::sqrt(2.0)))
      return div.getLhs();
    return matchScaled(scaled, 1.0 / std::sqrt(2.0));
  }
  if (auto tanhOp = value.getDefiningOp<TanhOp>()) {
    tanh = true;
    auto sum = matchScaled(tanhOp.getInput(), std::sqrt(2.0 / M_PI))
                   .getDefiningOp<AddOp>();
    if (!sum)
      return Value();
    for (auto [x, cubic] : {std::pair(sum.getLhs(), sum.getRhs()),
                            std::pair(sum.getRhs(), sum.getLhs())})
      if (Value cubed = matchScaled(cubic, 0.044715);
          cubed && matchCube(cubed) == x)
        return x;
  }
  return Value();
}

/// `value` is 1 + inner(x) (either order); returns x.
Value matchOnePlusInner(Value value, bool &tanh) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add)
    return Value();
  for (auto [one, inner] : {std::pair(add.getLhs(), add.getRhs()),
                            std::pair(add.getRhs(), add.getLhs())})
    if (isSplat(one, 1.0))
      if (Value x = matchGeluInner(inner, tanh))
        return x;
  return Value();
}

struct RaiseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    // (x * (1 + inner)) * 0.5, or (0.5 * x) * (1 + inner).
    for (auto [inner, other] : {std::pair(op.getLhs(), op.getRhs()),
                                std::pair(op.getRhs(), op.getLhs())}) {
      bool tanh = false;
      Value x;
      if (isSplat(other, 0.5)) {
        if (auto mul = inner.getDefiningOp<MulOp>())
          for (auto [a, b] : {std::pair(mul.getLhs(), mul.getRhs()),
                              std::pair(mul.getRhs(), mul.getLhs())})
            if (matchOnePlusInner(b, tanh) == a)
              x = a;
      } else if (Value arg = matchOnePlusInner(other, tanh);
                 arg && matchScaled(inner, 0.5) == arg) {
        x = arg;
      }
      if (!x || x.getType() != op.getType())
        continue;
      rewriter.replaceOpWithNewOp<GeluOp>(op, x, tanh);
      return success();
    }
    return rewriter.notifyMatchFailure(
        op, "GELU: not x * (1 + erf(x / sqrt 2)) * 0.5 nor its tanh form");
  }
};

} // namespace

void populateRaiseActivationPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseSilu, RaiseGelu>(patterns.getContext());
}

} // namespace llmc
