//===- llmc-translate.cpp - llmc IR to other languages --------------------===//
//
// MLIR's translation driver with llmc's translations: `--plan-to-cuda`
// prints the CUDA C++ that `llmc compile --target cuda:...` compiles into
// the artifact (lit tests check it).
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "passes/codegen/cuda/EmitCudaSource.h"
#include "runtime/format/Version.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

int main(int argc, char **argv) {
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << llmc::runtime::versionLine("llmc-translate") << "\n";
  });
  static mlir::TranslateFromMLIRRegistration planToCuda(
      "plan-to-cuda",
      "the CUDA C++ of a planned module's fused kernels (after "
      "plan-outline-cuda-kernels)",
      [](mlir::Operation *op, llvm::raw_ostream &os) -> mlir::LogicalResult {
        auto module = llvm::dyn_cast<mlir::ModuleOp>(op);
        if (!module)
          return op->emitError("plan-to-cuda translates a module");
        return llmc::codegen::cuda::emitCudaSource(module, os);
      },
      [](mlir::DialectRegistry &registry) {
        llmc::registerCompilerDialects(registry);
      });
  return mlir::failed(
             mlir::mlirTranslateMain(argc, argv, "llmc translation driver\n"))
             ? 1
             : 0;
}
