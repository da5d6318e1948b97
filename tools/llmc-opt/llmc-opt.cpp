//===- llmc-opt.cpp - run llmc passes on MLIR files -----------------------===//
//
// The compiler engineer's driver: parses, verifies, runs passes or pipelines
// (--pass-pipeline, --load-pass-plugin) and prints llmc IR. A plugin that
// does not load is an error (MLIR's driver would only warn).
//
//===----------------------------------------------------------------------===//

#include "compiler/PassPlugins.h"
#include "compiler/Registration.h"
#include "runtime/format/Version.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  llmc::registerCompilerDialects(registry);
  llmc::registerCompilerPasses();
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << llmc::runtime::versionLine("llmc-opt") << "\n";
  });
  std::vector<std::string> storage;
  std::vector<char *> args;
  if (!llmc::loadPassPluginFlags(argc, argv, storage, args))
    return 1;
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      int(args.size()), args.data(), "llmc optimizer driver\n", registry));
}
