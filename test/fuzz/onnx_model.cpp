//===- onnx_model.cpp - fuzzing the ONNX importer -------------------------===//
//
// Input: the bytes of an ONNX model (a ModelProto), written into the folder
// LLMC_FUZZ_ONNX_DIR, whose files are its external data (weights.bin), and
// imported as llmc compile imports a model: the protobuf parse, the
// external-data paths and ranges, the initializers, every node's
// conversion and the verifier. Errors are what it should give: not printed.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "compiler/import/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

struct Importer {
  mlir::DialectRegistry registry;
  std::string modelPath;
};

Importer &importer() {
  static Importer *made = [] {
    const char *dir = std::getenv("LLMC_FUZZ_ONNX_DIR");
    if (!dir) {
      std::fprintf(stderr, "fuzz-onnx-model: set LLMC_FUZZ_ONNX_DIR to the "
                           "folder of the seeds' external data\n");
      std::exit(2);
    }
    auto *i = new Importer;
    llmc::registerCompilerDialects(i->registry);
    i->modelPath =
        std::string(dir) + "/fuzz-" + std::to_string(getpid()) + ".onnx";
    return i;
  }();
  return *made;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Importer &i = importer();
  {
    std::ofstream out(i.modelPath, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), std::streamsize(size));
    if (!out)
      __builtin_trap();
  }
  {
    // A context per input, as llmc compile has: the blobs of one import
    // would otherwise stay in it.
    mlir::MLIRContext context(i.registry,
                              mlir::MLIRContext::Threading::DISABLED);
    context.loadAllAvailableDialects();
    context.getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
    mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
        llmc::importOnnxFile(context, i.modelPath, llmc::OnnxImportOptions());
    (void)module;
  }
  unlink(i.modelPath.c_str());
  return 0;
}
