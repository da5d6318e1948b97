//===- Statistics.cpp - how a pass gets calibration statistics ------------===//

#include "passes/quant/Statistics.h"

#include "passes/quant/StatisticsFile.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace llmc::quant {
namespace {

Calibrator &installed() {
  static Calibrator calibrator;
  return calibrator;
}

} // namespace

void setCalibrator(Calibrator calibrator) {
  installed() = std::move(calibrator);
}

FailureOr<std::shared_ptr<CalibrationData>>
runCalibrator(ModuleOp module, const CalibrationRequest &request,
              llvm::StringRef pass) {
  if (!installed())
    return module.emitError(pass)
           << ": calib needs a tool that can run the model (llmc, llmc-opt)";
  return installed()(module, request);
}

FailureOr<StatsSource> StatsSource::gather(ModuleOp module,
                                           const CalibrationRequest &request,
                                           int64_t synthetic,
                                           llvm::StringRef pass) {
  if (!request.tokenizer.empty() && request.path.empty())
    return module.emitError(pass) << ": calib-tokenizer needs calib";
  if (!request.stats.empty() && !request.path.empty())
    return module.emitError(pass)
           << ": calib and stats both name calibration data: give one";
  if (request.path.empty() && request.stats.empty())
    return StatsSource(nullptr, synthetic);
  FailureOr<std::shared_ptr<CalibrationData>> data =
      request.stats.empty() ? runCalibrator(module, request, pass)
                            : readStatistics(module, request.stats);
  if (failed(data))
    return failure();
  Builder b(module.getContext());
  module->setAttr(
      "llmc.calibration",
      b.getDictionaryAttr(
          {b.getNamedAttr("sequences", b.getI64IntegerAttr((*data)->sequences)),
           b.getNamedAttr("tokens", b.getI64IntegerAttr((*data)->tokens))}));
  return StatsSource(std::move(*data), synthetic);
}

FailureOr<const InputStats *> StatsSource::find(const WeightUse &use,
                                                int64_t width, StringRef pass) {
  if (data) {
    std::optional<WeightKey> key = weightKey(use.op->getOperand(use.operand));
    const InputStats *stats = key ? data->find(*key) : nullptr;
    if (!stats || stats->width() != width || stats->tokens() == 0)
      return emitWeightError(use, pass)
             << "calibration saw no inputs of this weight";
    return stats;
  }
  if (synthetic <= 0)
    return emitWeightError(use, pass)
           << "needs calibration data (the calib option; llmc compile --calib "
              "FILE)";
  std::shared_ptr<InputStats> &stats = made[width];
  if (!stats)
    stats = syntheticStats(width, synthetic);
  return stats.get();
}

} // namespace llmc::quant
