//===- Registration.cpp - what every llmc compiler tool registers ---------===//

#include "compiler/Registration.h"

#include "compiler/calibration/Calibrate.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void llmc::registerCompilerDialects(mlir::DialectRegistry &registry) {
  registry.insert<llmc::LlmcDialect, llmc::plan::PlanDialect,
                  mlir::func::FuncDialect>();
}

void llmc::registerCompilerPasses() {
  llmc::registerLlmcPasses();
  llmc::registerCalibrator();
  llmc::registerLlmcPipelines();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
}
