//===- statistics_file.cpp - fuzzing the calibration statistics reader ----===//
//
// Input: a statistics file (llmc calibrate -o), read for the model named
// by LLMC_FUZZ_MODEL (an ONNX file, imported and brought to where the
// quantizers run once, at start) from a memory file. The fuzz build skips
// the payload checksum; seeds written by llmc calibrate for the same model
// carry its weights' names and digests, so the matching is reached too.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "compiler/import/OnnxImporter.h"
#include "passes/Pipeline.h"
#include "passes/quant/StatisticsFile.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Model {
  mlir::DialectRegistry registry;
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

Model &model() {
  static Model *loaded = [] {
    const char *path = std::getenv("LLMC_FUZZ_MODEL");
    if (!path) {
      std::fprintf(stderr, "fuzz-statistics-file: set LLMC_FUZZ_MODEL to an "
                           "ONNX model (its statistics are the seeds)\n");
      std::exit(2);
    }
    auto *m = new Model;
    llmc::registerCompilerDialects(m->registry);
    m->context = std::make_unique<mlir::MLIRContext>(m->registry);
    m->context->loadAllAvailableDialects();
    m->context->disableMultithreading();
    mlir::PassManager pm =
        mlir::PassManager::on<mlir::ModuleOp>(m->context.get());
    llmc::CompileOptions options;
    llmc::buildCalibrationPipeline(pm, options);
    mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
        llmc::importOnnxFile(*m->context, path, llmc::OnnxImportOptions());
    if (failed(module) || failed(pm.run(**module)))
      std::exit(2);
    m->module = std::move(*module);
    // The reader's errors are what it should give: not printed.
    m->context->getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
    return m;
  }();
  return *loaded;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Model &m = model();
  int fd = memfd_create("fuzz-statistics", 0);
  if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size))
    __builtin_trap();
  (void)llmc::quant::readStatistics(*m.module,
                                    "/proc/self/fd/" + std::to_string(fd));
  close(fd);
  return 0;
}
