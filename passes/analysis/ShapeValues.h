//===- ShapeValues.h - what exporter shape arithmetic computes ------------===//
//
// Exporters compute shapes at run time: Shape(x), Gather, Concat, Unsqueeze,
// arithmetic, Where(Equal(...)). This analysis evaluates such a 0-D or 1-D
// integer tensor into dimensions (static, named after the symbolic
// dimensions of the shapes it reads, or unknown) so llmc-fold-shapes can turn
// the computation into types.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_ANALYSIS_SHAPEVALUES_H
#define LLMC_PASSES_ANALYSIS_SHAPEVALUES_H

#include "dialects/llmc/IR/SymbolicShape.h"

#include "mlir/IR/Value.h"

#include <optional>

namespace llmc {

/// The elements of `value` (a 0-D or 1-D integer tensor) as dimensions, or
/// nothing when the graph does not compute it from shapes and constants.
/// Individual elements may be unknown.
std::optional<DimList> evaluateShapeValue(mlir::Value value);

/// Like evaluateShapeValue, but only when every element is a static integer.
std::optional<llvm::SmallVector<int64_t>> evaluateStaticInts(mlir::Value value);

} // namespace llmc

#endif // LLMC_PASSES_ANALYSIS_SHAPEVALUES_H
