//===- CalibrateCommand.cpp - llmc calibrate ------------------------------===//

#include "tools/llmc/CalibrateCommand.h"

#include "compiler/Registration.h"
#include "compiler/ToolDiagnostics.h"
#include "compiler/calibration/Calibrate.h"
#include "compiler/import/OnnxImporter.h"
#include "passes/Pipeline.h"
#include "passes/quant/StatisticsFile.h"
#include "tools/llmc/CompileFlags.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include <set>

using namespace mlir;

namespace llmc::tool {

int runCalibrate(const std::string &input, const std::string &output) {
  CalibrationRequest request = calibrationFlags();
  if (input.empty() || output.empty() || request.path.empty()) {
    llvm::errs() << "llmc calibrate: usage: llmc calibrate model.onnx --calib "
                    "FILE [--calib-tokenizer TOK] -o model.stats\n";
    return 2;
  }
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  auto diagnostics = printToolDiagnostics(context, "llmc");

  CompileOptions options;
  options.maxSeq = request.maxSeq;
  if (failed(pruneOptions(options)))
    return 1;
  PassManager pm = PassManager::on<ModuleOp>(&context);
  buildCalibrationPipeline(pm, options);
  FailureOr<OwningOpRef<ModuleOp>> module =
      importOnnxFile(context, input, OnnxImportOptions());
  if (failed(module) || failed(pm.run(**module)))
    return 1;
  CalibrationOptions calibration;
  calibration.path = request.path;
  calibration.tokenizer = request.tokenizer;
  FailureOr<std::shared_ptr<quant::CalibrationData>> data =
      calibrate(**module, calibration);
  if (failed(data) || failed(quant::writeStatistics(**module, **data, output)))
    return 1;
  std::set<const quant::InputStats *> inputs;
  for (const auto &[key, stats] : (*data)->byWeight)
    inputs.insert(stats.get());
  uint64_t bytes = 0;
  llvm::sys::fs::file_size(output, bytes);
  llvm::errs() << llvm::formatv(
      "llmc: wrote {0}: {1} sequences, {2} tokens; the inputs of {3} "
      "weights ({4} distinct), {5:F1} MiB\n",
      output, (*data)->sequences, (*data)->tokens, (*data)->byWeight.size(),
      inputs.size(), bytes / double(1 << 20));
  return 0;
}

} // namespace llmc::tool
