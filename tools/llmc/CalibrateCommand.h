//===- CalibrateCommand.h - llmc calibrate --------------------------------===//
//
// llmc calibrate model.onnx --calib FILE [--calib-tokenizer TOK]
//                [--max-seq N] -o model.stats
// Runs the compile pipeline up to quantization (passes/Pipeline.h), runs
// the model there over the calibration sequences and writes what every
// quantizable weight's input saw (passes/quant/StatisticsFile.h), for
// `llmc compile --stats` and the passes' `stats=` option.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_CALIBRATECOMMAND_H
#define LLMC_TOOLS_LLMC_CALIBRATECOMMAND_H

#include <string>

namespace llmc::tool {

/// The exit code: 0, or 1 after printing what went wrong.
int runCalibrate(const std::string &input, const std::string &output);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_CALIBRATECOMMAND_H
