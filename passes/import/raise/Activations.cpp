//===- Activations.cpp - raise SiLU and GELU ------------------------------===//
//
// x * sigmoid(x)                               -> llmc.silu
// 0.5 * x * (1 + erf(x / sqrt(2)))             -> llmc.gelu (exact)
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
    return failure();
  }
};

/// `value` is 1 + erf(x / sqrt(2)) (or erf(x * 1/sqrt(2)) + 1); returns x.
Value matchOnePlusErf(Value value) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add)
    return Value();
  for (auto [one, erfValue] : {std::pair(add.getLhs(), add.getRhs()),
                               std::pair(add.getRhs(), add.getLhs())}) {
    auto erf = erfValue.getDefiningOp<ErfOp>();
    if (!erf || !isSplat(one, 1.0))
      continue;
    Value scaled = erf.getInput();
    if (auto div = scaled.getDefiningOp<DivOp>();
        div && isSplat(div.getRhs(), std::sqrt(2.0)))
      return div.getLhs();
    if (auto mul = scaled.getDefiningOp<MulOp>()) {
      if (isSplat(mul.getRhs(), 1.0 / std::sqrt(2.0)))
        return mul.getLhs();
      if (isSplat(mul.getLhs(), 1.0 / std::sqrt(2.0)))
        return mul.getRhs();
    }
  }
  return Value();
}

struct RaiseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    // (x * (1 + erf(..))) * 0.5, or (x * 0.5) * (1 + erf(..)).
    for (auto [inner, half] : {std::pair(op.getLhs(), op.getRhs()),
                               std::pair(op.getRhs(), op.getLhs())}) {
      auto mul = inner.getDefiningOp<MulOp>();
      if (!mul)
        continue;
      Value x;
      if (isSplat(half, 0.5)) {
        for (auto [a, b] : {std::pair(mul.getLhs(), mul.getRhs()),
                            std::pair(mul.getRhs(), mul.getLhs())})
          if (matchOnePlusErf(b) == a)
            x = a;
      } else if (matchOnePlusErf(half)) {
        Value erfInput = matchOnePlusErf(half);
        if (otherOperand(mul, erfInput) &&
            isSplat(otherOperand(mul, erfInput), 0.5))
          x = erfInput;
      }
      if (!x || x.getType() != op.getType())
        continue;
      rewriter.replaceOpWithNewOp<GeluOp>(op, x, /*tanh=*/false);
      return success();
    }
    return failure();
  }
};

} // namespace

void populateRaiseActivationPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseSilu, RaiseGelu>(patterns.getContext());
}

} // namespace llmc
