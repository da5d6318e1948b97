//===- Raise.cpp - exporter patterns to transformer ops -------------------===//
//
// Import clean-up (see Passes.td: llmc-raise): applies every raising pattern
// family of passes/import/raise/ together, to a fixed point.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/MatchFailures.h"
#include "passes/import/raise/RaisePatterns.h"

#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmc {
#define GEN_PASS_DEF_RAISE
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;

namespace {

struct Raise : llmc::impl::RaiseBase<Raise> {
  using RaiseBase::RaiseBase;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    llmc::populateRaiseActivationPatterns(set);
    llmc::populateRaiseNormalizationPatterns(set);
    llmc::populateRaiseProjectionPatterns(set);
    llmc::populateRaiseMlpPatterns(set);
    llmc::populateRaiseAttentionPatterns(set, maxPositions);
    llmc::populateRaiseRopePatterns(set, maxPositions);
    // Reshape canonicalizations undo exporter flattening around the ops
    // raised here (a linear on [b*s, k]), which the next patterns read.
    llmc::ReshapeOp::getCanonicalizationPatterns(set, context);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    llmc::RemarkMatchFailures remarks("llmc-raise");
    GreedyRewriteConfig config;
    if (explain)
      config.setListener(&remarks);
    if (failed(applyPatternsGreedily(getOperation(), patterns, config))) {
      getOperation().emitError("llmc-raise: rewriting did not converge");
      signalPassFailure();
    }
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
