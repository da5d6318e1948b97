//===- FoldAndRaise.cpp - shape folding and raising to a fixed point ------===//
//
// Import clean-up (see Passes.td: llmc-fold-and-raise).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"

namespace llmc {
#define GEN_PASS_DEF_FOLDANDRAISE
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;

namespace {

struct FoldAndRaise : llmc::impl::FoldAndRaiseBase<FoldAndRaise> {
  using FoldAndRaiseBase::FoldAndRaiseBase;

  void runOnOperation() override {
    OpPassManager round(ModuleOp::getOperationName());
    round.addNestedPass<func::FuncOp>(
        llmc::createFoldShapes({/*allowDynamic=*/true}));
    round.addPass(llmc::createCleanup());
    round.addNestedPass<func::FuncOp>(llmc::createRaise({maxPositions}));
    round.addPass(llmc::createCleanup());
    ModuleOp module = getOperation();
    for (int64_t i = 0; i < maxRounds; ++i) {
      OperationFingerPrint before(module);
      if (failed(runPipeline(round, module)))
        return signalPassFailure();
      if (OperationFingerPrint(module) == before)
        return explainLeftovers(module);
    }
    module.emitError() << "llmc-fold-and-raise: still changing after "
                       << maxRounds.getValue() << " rounds";
    signalPassFailure();
  }

  /// With `explain`: why each raising pattern does not apply to the
  /// settled IR (the rounds' own failures would repeat, or be undone).
  void explainLeftovers(ModuleOp module) {
    if (!explain)
      return;
    OpPassManager last(ModuleOp::getOperationName());
    last.addNestedPass<func::FuncOp>(
        llmc::createRaise({maxPositions, /*explain=*/true}));
    if (failed(runPipeline(last, module)))
      signalPassFailure();
  }
};

} // namespace
