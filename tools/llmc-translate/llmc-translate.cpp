//===- llmc-translate.cpp - llmc IR to other languages --------------------===//
//
// MLIR's translation driver with llmc's translations: `--plan-to-cuda`
// prints the CUDA C++ that `llmc compile --target cuda:...` compiles into
// the artifact (lit tests check it).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/EmitCudaSource.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  llmc::codegen::cuda::registerPlanToCudaTranslation();
  return mlir::failed(
             mlir::mlirTranslateMain(argc, argv, "llmc translation driver\n"))
             ? 1
             : 0;
}
