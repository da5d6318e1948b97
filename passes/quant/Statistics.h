//===- Statistics.h - how a pass gets calibration statistics --------------===//
//
// Every calibration-driven pass names its data with the same options,
// `calib` (token-id sequences, or a text with `calib-tokenizer`) or `stats`
// (a file of `llmc calibrate`), and asks here. Gathering them means running the
// model, which the runtime does: the compiler library installs that step
// (setCalibrator, from registerCompilerPasses), so the passes stay free of the
// runtime and a textual pipeline says everything a quantized artifact depends
// on.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_STATISTICS_H
#define LLMC_PASSES_QUANT_STATISTICS_H

#include "passes/quant/Calibration.h"
#include "passes/quant/QuantTargets.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace llmc::quant {

/// What a pass's options ask for.
struct CalibrationRequest {
  /// A token-id file, one sequence per line, or with `tokenizer` (a
  /// SentencePiece model) a text of passages separated by blank lines.
  std::string path, tokenizer;
  /// Or a statistics file of `llmc calibrate` (StatisticsFile.h).
  std::string stats;
  /// Only the loss, no input statistics (an ablation's run).
  bool lossOnly = false;
  /// Applied to the calibrator's own copy of the module before it runs: a
  /// variant (a head masked) whose weights go with the copy.
  std::function<mlir::LogicalResult(mlir::ModuleOp)> edit;
};

/// Runs `module` (at the pass's point of the pipeline) over the request's
/// sequences; errors are emitted at `module`.
using Calibrator =
    std::function<mlir::FailureOr<std::shared_ptr<CalibrationData>>(
        mlir::ModuleOp, const CalibrationRequest &)>;

/// Installs the calibrator every pass uses (the last one installed).
void setCalibrator(Calibrator calibrator);

/// Runs the installed calibrator on `module` (a model with its KV cache)
/// over `request.path`: an error naming `pass` when no tool installed one.
mlir::FailureOr<std::shared_ptr<CalibrationData>>
runCalibrator(mlir::ModuleOp module, const CalibrationRequest &request,
              llvm::StringRef pass);

/// Where a pass finds each weight's input statistics: the data its
/// request named, or synthetic rows (tests) when `synthetic` > 0.
class StatsSource {
public:
  /// Gathers what `request` asks for (nothing when it names no data). With
  /// data, the module records how much was seen in `llmc.calibration`
  /// ({sequences, tokens}). Errors name `pass`.
  static mlir::FailureOr<StatsSource> gather(mlir::ModuleOp module,
                                             const CalibrationRequest &request,
                                             int64_t synthetic,
                                             llvm::StringRef pass);

  bool available() const { return data || synthetic > 0; }
  /// The statistics of `use`'s weight input (`width` features); an error
  /// naming the layer when there are none.
  mlir::FailureOr<const InputStats *> find(const WeightUse &use, int64_t width,
                                           llvm::StringRef pass);

private:
  StatsSource(std::shared_ptr<const CalibrationData> data, int64_t synthetic)
      : data(std::move(data)), synthetic(synthetic) {}

  std::shared_ptr<const CalibrationData> data;
  int64_t synthetic;
  std::map<int64_t, std::shared_ptr<InputStats>> made;
};

} // namespace llmc::quant

#endif // LLMC_PASSES_QUANT_STATISTICS_H
