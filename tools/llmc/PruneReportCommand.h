//===- PruneReportCommand.h - llmc prune-report ---------------------------===//
//
// llmc prune-report model.onnx --calib FILE [--calib-tokenizer TOK]
//                   [--prune-unit query|group] [--prune-score norm|ablation]
//                   [-o heat.png] [--json report.json]
// Raises the model as llmc compile does, measures every attention head's
// (or KV group's) importance on llmc's runtime over the calibration data
// (passes/prune/HeadScores.h: norm and ablation, or the one asked for),
// prints a table per layer and head, and writes a heat map of the scores
// (layers down, heads across; dark: least important) as a PNG.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_PRUNEREPORTCOMMAND_H
#define LLMC_TOOLS_LLMC_PRUNEREPORTCOMMAND_H

#include "llvm/Support/CommandLine.h"

namespace llmc::tool {

/// The subcommand its flags belong to, and their category.
llvm::cl::SubCommand &pruneReportCommand();
llvm::cl::OptionCategory &pruneReportOptions();

/// The exit code: 0, 1 after printing what went wrong, 2 for bad usage.
int runPruneReport();

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_PRUNEREPORTCOMMAND_H
