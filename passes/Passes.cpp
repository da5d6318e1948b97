//===- Passes.cpp - the llmc pass pipelines -------------------------------===//
//
// Pipelines are assembled here, in one place; llmc-opt and the llmc driver
// both use these.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

void llmc::buildImportCleanupPipeline(mlir::OpPassManager &pm) {
  pm.addNestedPass<mlir::func::FuncOp>(createFoldShapes());
  pm.addPass(createCleanup());
}

void llmc::registerLlmcPipelines() {
  mlir::PassPipelineRegistration<>(
      "llmc-import-cleanup",
      "After import: fold shape arithmetic into dimensions, then clean up",
      buildImportCleanupPipeline);
}
