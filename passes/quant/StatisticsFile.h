//===- StatisticsFile.h - calibration statistics as a file ----------------===//
//
// `llmc calibrate` writes what calibration saw at every quantizable
// weight's input (Gram matrix, magnitudes, sampled rows); the passes read
// it back with their `stats` option, so a quantization can be redone, or
// run in llmc-opt, without running the model again.
//
// Layout (little-endian): "LLMCSTAT", u32 version (1), u32 0, u64 payload
// bytes, u64 XXH3-64 of the payload, then the payload: i64 sequences,
// i64 tokens; u64 entries, each i64 k, max samples, tokens, sample rows,
// f32 largest |x|, the Gram matrix (k x k f64: all of it, since the sums
// of the GEMM's blocks are not exactly symmetric and GPTQ must see the
// same bits), the |x| sums (k f64), the sampled rows (rows x k f32); u64
// weights, each u32 name length, the name (the layer's, as the passes name
// it), u8 transposed, u64 XXH3-64 of the weight's bytes, u64 entry.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_STATISTICSFILE_H
#define LLMC_PASSES_QUANT_STATISTICSFILE_H

#include "passes/quant/Calibration.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>

namespace llmc::quant {

/// Writes `data`, gathered on `module`, to `path` (through a temporary
/// file); errors are emitted at `module`.
mlir::LogicalResult writeStatistics(mlir::ModuleOp module,
                                    const CalibrationData &data,
                                    llvm::StringRef path);

/// The statistics of `path` for `module`'s weights, matched by layer name
/// and checked against the weights' bytes. A missing, truncated, corrupt
/// or foreign file, another version, or statistics of another model are
/// errors emitted at `module` naming the file.
mlir::FailureOr<std::shared_ptr<CalibrationData>>
readStatistics(mlir::ModuleOp module, llvm::StringRef path);

} // namespace llmc::quant

#endif // LLMC_PASSES_QUANT_STATISTICSFILE_H
