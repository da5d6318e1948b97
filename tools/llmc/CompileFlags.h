//===- CompileFlags.h - llmc compile's pipeline flags ---------------------===//
//
// The flags that choose the compile pipeline's options (passes/Pipeline.h;
// each flag has the option's name): --max-seq, --max-batch, --target,
// --nvcc, --dtype, --quant with --group-size, --zero-point, --act-order,
// --skip, --calib, --calib-tokenizer, --int8-activations,
// --fp8-activations, --stats, the pruning flags, --draft and
// --max-draft-tokens, and --insert-pass POINT=PIPELINE; besides them
// --quant-report FILE, written from the compiled module.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_COMPILEFLAGS_H
#define LLMC_TOOLS_LLMC_COMPILEFLAGS_H

#include "passes/Pipeline.h"
#include "tools/llmc/DraftSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>
#include <vector>

namespace llmc::tool {

/// Registers the flags under `command` in `category`; --calib,
/// --calib-tokenizer and --max-seq also under `calibrate`.
void registerCompileFlags(llvm::cl::SubCommand &command,
                          llvm::cl::SubCommand &calibrate,
                          llvm::cl::OptionCategory &category);

/// What llmc calibrate runs: --calib, --calib-tokenizer, --max-seq.
struct CalibrationRequest {
  std::string path, tokenizer;
  int64_t maxSeq = 0;
};
CalibrationRequest calibrationFlags();

/// The pruning flags (--prune-heads, --prune-heads-list, --prune-unit, ...)
/// as pipeline options, the model to calibrate or compile losing those
/// heads first; failure (printed) for flags that do not go together.
mlir::LogicalResult pruneOptions(CompileOptions &options);

/// The flags as pipeline options; failure (printed) for a flag given where
/// it means nothing, or an --insert-pass without POINT=.
mlir::LogicalResult compileOptions(CompileOptions &options);

/// The most drafted tokens --max-draft-tokens takes.
constexpr int64_t kMostDraftTokens = 32;

/// --draft parsed (nothing without it); failure (printed) for a draft
/// that is not one.
mlir::FailureOr<std::optional<DraftSpec>> draftFlags();

/// The flags given on the command line ("--quant", ...): a
/// --pass-pipeline takes none of them.
std::vector<std::string> givenPipelineFlags();

/// "" without --quant, else the method and its settings in words.
std::string quantizationSummary();

/// Writes the module's llmc.quant_errors (if --quant-report); failure
/// when the file cannot be written.
mlir::LogicalResult writeQuantizationReport(mlir::ModuleOp module);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_COMPILEFLAGS_H
