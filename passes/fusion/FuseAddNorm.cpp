//===- FuseAddNorm.cpp - residual add and normalization in one kernel ----===//
//
// See Passes.td: plan-fuse-add-norm.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmc {
#define GEN_PASS_DEF_FUSEADDNORM
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// %s = add(%a, %b); %y = rms_norm|layer_norm(%s, ...) with %a, %b and %s of
/// one float type -> %s, %y = add_rms_norm|add_layer_norm(%a, %b, ...), at
/// the norm, so only where the norm is the first user of %s: with a
/// parallel residual (GPT-NeoX, Falcon 40B) two norms read one sum, and the
/// later one must read the fused op's sum, not precede it.
struct FuseAddNormPattern : OpRewritePattern<plan::CallOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(plan::CallOp norm,
                                PatternRewriter &rewriter) const override {
    StringRef kernel = norm.getKernel();
    if ((kernel != "rms_norm" && kernel != "layer_norm") ||
        norm.getArgs().empty() || norm.getAbsent())
      return failure();
    auto add = norm.getArgs()[0].getDefiningOp<plan::CallOp>();
    if (!add || add.getKernel() != "add" || add.getNumResults() != 1 ||
        add.getNumOperands() != 2)
      return rewriter.notifyMatchFailure(norm, "does not normalize an add");
    for (Operation *user : add->getUsers())
      if (user != norm &&
          (user->getBlock() != norm->getBlock() || user->isBeforeInBlock(norm)))
        return rewriter.notifyMatchFailure(
            norm, "another user of the sum comes before the norm");
    Type type = add.getResult(0).getType();
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !isa<FloatType>(tensor.getElementType()) ||
        add.getArgs()[0].getType() != type ||
        add.getArgs()[1].getType() != type)
      return failure();
    SmallVector<Value> operands(add.getArgs());
    operands.append(norm.getArgs().begin() + 1, norm.getArgs().end());
    rewriter.setInsertionPoint(norm);
    auto fused = plan::CallOp::create(
        rewriter, rewriter.getFusedLoc({add.getLoc(), norm.getLoc()}),
        TypeRange{type, norm.getResult(0).getType()},
        rewriter.getStringAttr("add_" + kernel.str()), operands,
        norm.getParams(), DenseI64ArrayAttr(), DenseI64ArrayAttr(),
        DenseI64ArrayAttr(), DenseI64ArrayAttr());
    rewriter.replaceOp(norm, fused.getResult(1));
    rewriter.replaceOp(add, fused.getResult(0));
    return success();
  }
};

struct FuseAddNorm : llmc::impl::FuseAddNormBase<FuseAddNorm> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAddNormPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
