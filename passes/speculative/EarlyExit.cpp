//===- EarlyExit.cpp - the first N layers, then the final norm and head ---===//
//
// See Passes.td: llmc-early-exit.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace llmc {
#define GEN_PASS_DEF_EARLYEXIT
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// The norm whose output `value` is computed from through the ops between
/// a norm and an attention's query (projection, fused-QKV split, head
/// reshape, RoPE) or an lm_head's input (a reshape); null when none.
Operation *normBefore(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (isa<RmsNormOp, LayerNormOp>(op))
      return op;
    if (auto rope = dyn_cast<RopeOp>(op))
      value = rope.getInput();
    else if (auto reshape = dyn_cast<ReshapeOp>(op))
      value = reshape.getInput();
    else if (auto linear = dyn_cast<LinearOp>(op))
      value = linear.getInput();
    else if (auto split = dyn_cast<SplitOp>(op))
      value = split.getInput();
    else if (auto transpose = dyn_cast<TransposeOp>(op))
      value = transpose.getInput();
    else
      return nullptr;
  }
  return nullptr;
}

struct EarlyExit : llmc::impl::EarlyExitBase<EarlyExit> {
  using EarlyExitBase::EarlyExitBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("llmc-early-exit: no @main function");
      return signalPassFailure();
    }
    SmallVector<AttentionOp> attentions;
    main.walk([&](AttentionOp op) { attentions.push_back(op); });
    const int64_t count = static_cast<int64_t>(attentions.size());
    if (layers < 1 || layers > count) {
      main.emitError("llmc-early-exit: layers=")
          << int64_t(layers) << " is outside the model's 1.." << count
          << " layers";
      return signalPassFailure();
    }
    if (layers == count)
      return markAllAnalysesPreserved();
    SmallVector<LmHeadOp> heads;
    main.walk([&](LmHeadOp op) { heads.push_back(op); });
    if (heads.size() != 1) {
      main.emitError("llmc-early-exit: expects one lm_head, found ")
          << heads.size();
      return signalPassFailure();
    }
    Operation *finalNorm = normBefore(heads.front().getInput());
    Operation *nextNorm = normBefore(attentions[layers].getQuery());
    if (!finalNorm || !nextNorm) {
      (finalNorm ? attentions[layers].getOperation() : heads.front())
          ->emitError("llmc-early-exit: no norm before it (a pre-norm "
                      "transformer is expected)");
      return signalPassFailure();
    }
    // The residual stream entering layer `layers` goes straight to the
    // final norm.
    finalNorm->setOperand(0, nextNorm->getOperand(0));
    for (Operation &op : llvm::make_early_inc_range(
             llvm::reverse(main.getBody().front().getOperations())))
      if (isOpTriviallyDead(&op))
        op.erase();
  }
};

} // namespace
