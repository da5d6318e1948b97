//===- llmc-opt.cpp - run llmc passes on MLIR files -----------------------===//
//
// The compiler engineer's driver: parses, verifies, runs passes or pipelines
// (--pass-pipeline, --load-pass-plugin) and prints llmc IR.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  llmc::registerCompilerDialects(registry);
  llmc::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "llmc optimizer driver\n", registry));
}
