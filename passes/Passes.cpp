//===- Passes.cpp - the llmc pass pipelines -------------------------------===//
//
// Pipelines are assembled here, in one place; llmc-opt and the llmc tools
// both use these.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

namespace {
struct ImportCleanupOptions : mlir::PassPipelineOptions<ImportCleanupOptions> {
  Option<bool> raise{*this, "raise",
                     llvm::cl::desc("Also raise to transformer ops"),
                     llvm::cl::init(false)};
};
} // namespace

void llmc::buildImportCleanupPipeline(mlir::OpPassManager &pm, bool raise,
                                      int64_t maxPositions) {
  if (!raise) {
    pm.addNestedPass<mlir::func::FuncOp>(createFoldShapes());
    pm.addPass(createCleanup());
    return;
  }
  // Exporters compute attention masks from the sequence length at run time;
  // such shape reads fold only once raising has replaced the mask by
  // `attention causal` (see llmc-fold-and-raise), so the strict check comes
  // after raising, and after the blocks that did not raise have said why.
  FoldAndRaiseOptions options;
  options.maxPositions = maxPositions;
  pm.addPass(createFoldAndRaise(options));
  pm.addNestedPass<mlir::func::FuncOp>(createCheckRaised());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldShapes());
  pm.addPass(createCleanup());
}

void llmc::addPlanFusionPasses(mlir::OpPassManager &pm) {
  pm.addPass(createFuseAddNorm());
  pm.addPass(createFuseSiblingLinears());
  pm.addPass(createFuseElementwise());
}

void llmc::registerLlmcPipelines() {
  mlir::PassPipelineRegistration<ImportCleanupOptions>(
      "llmc-import-cleanup",
      "After import: fold shape arithmetic into dimensions, clean up, and "
      "with raise=true raise to transformer ops",
      [](mlir::OpPassManager &pm, const ImportCleanupOptions &options) {
        buildImportCleanupPipeline(pm, options.raise);
      });
  registerCompilePipeline();
}
