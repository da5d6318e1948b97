//===- Cleanup.cpp - fold, canonicalize and CSE llmc IR -------------------===//
//
// Runs after import and between rewriting passes so each pass sees the
// simplest form of the graph (see Passes.td: llmc-cleanup).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmc {
#define GEN_PASS_DEF_CLEANUP
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;

namespace {

struct Cleanup : llmc::impl::CleanupBase<Cleanup> {
  using CleanupBase::CleanupBase;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    for (Dialect *dialect : context->getLoadedDialects())
      dialect->getCanonicalizationPatterns(set);
    for (RegisteredOperationName op : context->getRegisteredOperations())
      op.getCanonicalizationPatterns(set, context);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    Operation *root = getOperation();
    GreedyRewriteConfig config;
    config.setMaxIterations(maxIterations);
    if (failed(applyPatternsGreedily(root, patterns, config))) {
      root->emitError() << "llmc-cleanup did not converge in "
                        << maxIterations.getValue() << " iterations";
      return signalPassFailure();
    }
    if (cse) {
      IRRewriter rewriter(&getContext());
      eliminateCommonSubExpressions(rewriter, getAnalysis<DominanceInfo>(),
                                    root);
    }
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
