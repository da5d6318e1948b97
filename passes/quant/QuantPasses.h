//===- QuantPasses.h - quantization passes that take calibration data -----===//
//
// Passes whose methods read calibration statistics are made here with the
// data `llmc compile` gathered (compiler/calibration). With data, every
// method also records each weight's output error on the calibration
// inputs, ||X (Q - W)^T||^2 / ||X W^T||^2, in the module attribute
// `llmc.quant_errors` (layer name -> error).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_QUANTPASSES_H
#define LLMC_PASSES_QUANT_QUANTPASSES_H

#include "passes/Passes.h"
#include "passes/quant/Calibration.h"

#include <memory>

namespace llmc {

std::unique_ptr<mlir::Pass>
createQuantizeFp8(const QuantizeFp8Options &options,
                  std::shared_ptr<const quant::CalibrationData> data);
std::unique_ptr<mlir::Pass>
createQuantizeRtn(const QuantizeRtnOptions &options,
                  std::shared_ptr<const quant::CalibrationData> data);
std::unique_ptr<mlir::Pass>
createQuantizeGptq(const QuantizeGptqOptions &options,
                   std::shared_ptr<const quant::CalibrationData> data);

std::unique_ptr<mlir::Pass>
createQuantizeAwq(const QuantizeAwqOptions &options,
                  std::shared_ptr<const quant::CalibrationData> data);

} // namespace llmc

#endif // LLMC_PASSES_QUANT_QUANTPASSES_H
