//===- Quantization.h - llmc compile's quantization options ---------------===//
//
// --quant METHOD [--group-size G] [--zero-point[=false]] [--act-order]
// [--skip lm_head,...] [--calib FILE [--calib-tokenizer TOK]]
// [--quant-report FILE]: checked before anything runs, then turned into
// the calibration run (when the method needs one, or --calib asks for the
// error report) and the pass of the method.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_QUANTIZATION_H
#define LLMC_TOOLS_LLMC_QUANTIZATION_H

#include "compiler/calibration/Calibrate.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/CommandLine.h"

#include <memory>
#include <string>

namespace llmc::tool {

/// Registers the options under `command` in `category`.
void registerQuantizationOptions(llvm::cl::SubCommand &command,
                                 llvm::cl::OptionCategory &category);

/// Checks the options together; prints what is wrong and fails.
mlir::LogicalResult checkQuantizationOptions();

/// "" without --quant, else the method and its settings in words.
std::string quantizationSummary();

/// Whether a calibration run comes before quantizing.
bool wantsCalibration();
/// The calibration settings; `argv0` locates llmc-tokenize.
CalibrationOptions calibrationOptions(const char *argv0);

/// The method's pass (null without --quant).
std::unique_ptr<mlir::Pass>
quantizationPass(std::shared_ptr<const quant::CalibrationData> data);

/// Writes the module's llmc.quant_errors (if --quant-report); failure
/// when the file cannot be written.
mlir::LogicalResult writeQuantizationReport(mlir::ModuleOp module,
                                            int64_t calibrationTokens);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_QUANTIZATION_H
