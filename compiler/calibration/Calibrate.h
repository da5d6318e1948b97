//===- Calibrate.h - run the model on calibration data, gather statistics -===//
//
// The compiler calibrates on llmc's own CPU runtime, with no PyTorch: a copy
// of the module (after llmc-kv-cache and llmc-compute-type, before
// quantization; or right after raising, and then given its KV cache)
// keeps only @decode, has its feed-forward ops spelled out as linears (so
// the down projection's input is a value), returns the input of every
// quantizable weight besides its logits, and is lowered and written to a
// temporary artifact that the runtime runs over each calibration sequence
// from position 0. The logits give the next-token loss.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_CALIBRATION_CALIBRATE_H
#define LLMC_COMPILER_CALIBRATION_CALIBRATE_H

#include "passes/quant/Calibration.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <memory>
#include <string>

namespace llmc {

struct CalibrationOptions {
  /// A token-id file (one sequence per line), or with `tokenizer` a text
  /// whose passages (separated by blank lines) are encoded as BOS + tokens.
  std::string path, tokenizer;
  /// The llmc-tokenize executable that encodes a text (default: the one
  /// beside the running tool).
  std::string tokenizeTool;
  /// Input rows kept per weight for AWQ's searches.
  int64_t samplesPerInput = 512;
  /// Only the loss (no input statistics), and an edit of the run's copy of
  /// the module (quant::CalibrationRequest's).
  bool lossOnly = false;
  std::function<mlir::LogicalResult(mlir::ModuleOp)> edit;
  unsigned threads = 0;
};

/// The statistics of every quantizable weight's input over the sequences
/// of `options` (each cut to the cache's length), and the next-token loss.
/// Errors (a missing or malformed file, a token outside the vocabulary) are
/// emitted at `module`.
mlir::FailureOr<std::shared_ptr<quant::CalibrationData>>
calibrate(mlir::ModuleOp module, const CalibrationOptions &options);

/// Makes calibrate() the calibrator of every calibration-driven pass
/// (passes/quant/Statistics.h).
void registerCalibrator();

} // namespace llmc

#endif // LLMC_COMPILER_CALIBRATION_CALIBRATE_H
