//===- Mlp.cpp - raise gated MLPs (SwiGLU, GeGLU)
//--------------------------===//
//
//   down(act(gate(x)) * up(x))  ->  llmc.gated_mlp act x, gate, up, down
// with gate, up and down bias-free linears and act SiLU or GELU.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;

namespace llmc {
namespace {

/// A bias-free linear used only once.
LinearOp singleUseLinear(Value value) {
  auto linear = value.getDefiningOp<LinearOp>();
  if (!linear || linear.getBias() || !linear->hasOneUse())
    return nullptr;
  return linear;
}

struct RaiseGatedMlp : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp down,
                                PatternRewriter &rewriter) const override {
    auto product = down.getInput().getDefiningOp<MulOp>();
    if (down.getBias() || !product || !product->hasOneUse())
      return rewriter.notifyMatchFailure(
          down, "gated MLP: the down linear has a bias, or its input is not "
                "a product used only there");
    for (auto [activated, upValue] :
         {std::pair(product.getLhs(), product.getRhs()),
          std::pair(product.getRhs(), product.getLhs())}) {
      Operation *act = activated.getDefiningOp();
      if (!act || !act->hasOneUse() || !isa<SiluOp, GeluOp>(act))
        continue;
      LinearOp gate = singleUseLinear(act->getOperand(0));
      LinearOp up = singleUseLinear(upValue);
      if (!gate || !up || gate.getInput() != up.getInput())
        continue;
      Activation kind = Activation::silu;
      if (auto gelu = dyn_cast<GeluOp>(act))
        kind = gelu.getTanh() ? Activation::gelu_tanh : Activation::gelu;
      Value x = gate.getInput();
      if (x.getType() != down.getType())
        continue;
      rewriter.replaceOpWithNewOp<GatedMlpOp>(
          down, x, gate.getWeight(), up.getWeight(), down.getWeight(), kind);
      return success();
    }
    return rewriter.notifyMatchFailure(
        down, "gated MLP: the product is not act(gate(x)) * up(x) of one x, "
              "each used only there");
  }
};

/// down(act(up(x))), each linear with or without its bias (one missing,
/// it becomes zeros; a zero bias folds away), and the activation used only
/// there.
struct RaiseMlp : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp down,
                                PatternRewriter &rewriter) const override {
    Operation *act = down.getInput().getDefiningOp();
    if (!act || !act->hasOneUse() || !isa<SiluOp, GeluOp>(act))
      return rewriter.notifyMatchFailure(
          down, "MLP: the input is not a SiLU or GELU used only there");
    auto up = act->getOperand(0).getDefiningOp<LinearOp>();
    if (!up || !up->hasOneUse() || up.getInput().getType() != down.getType())
      return rewriter.notifyMatchFailure(
          down, "MLP: the activation's input is not a linear used only "
                "there, of the down linear's result type");
    Activation kind = Activation::silu;
    if (auto gelu = dyn_cast<GeluOp>(act))
      kind = gelu.getTanh() ? Activation::gelu_tanh : Activation::gelu;
    Value upBias = up.getBias(), downBias = down.getBias();
    auto zeros = [&](LinearOp linear) -> Value {
      auto type = cast<RankedTensorType>(linear.getType());
      auto biasType = RankedTensorType::get({type.getShape().back()},
                                            type.getElementType());
      return ConstantOp::create(
          rewriter, linear.getLoc(),
          DenseElementsAttr::get(
              biasType, rewriter.getFloatAttr(type.getElementType(), 0.0)));
    };
    if (upBias && !downBias)
      downBias = zeros(down);
    if (downBias && !upBias)
      upBias = zeros(up);
    rewriter.replaceOpWithNewOp<MlpOp>(down, up.getInput(), up.getWeight(),
                                       down.getWeight(), upBias, downBias,
                                       kind);
    return success();
  }
};

} // namespace

void populateRaiseMlpPatterns(RewritePatternSet &patterns) {
  // The gated form first: its down projection reads a product, not an
  // activation, so the two never compete for the same ops.
  patterns.add<RaiseGatedMlp, RaiseMlp>(patterns.getContext());
}

} // namespace llmc
