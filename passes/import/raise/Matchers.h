//===- Matchers.h - small queries shared by the raising patterns ----------===//

#ifndef LLMC_PASSES_IMPORT_RAISE_MATCHERS_H
#define LLMC_PASSES_IMPORT_RAISE_MATCHERS_H

#include "mlir/IR/Value.h"

#include <optional>
#include <string>
#include <vector>

namespace llmc {

/// The value of a constant whose elements are all equal (a splat), as a
/// double; nothing otherwise.
std::optional<double> getSplatValue(mlir::Value value);

/// Whether `value` is a splat constant equal to `expected` within a relative
/// tolerance (exporters write 1/sqrt(2) or 0.5 in float32).
bool isSplat(mlir::Value value, double expected, double tolerance = 1e-6);

/// The elements of an f32 constant (dense literal or blob), row-major.
std::optional<std::vector<float>> getFloatElements(mlir::Value value);

/// Whether `weight` holds the same data as the constant `table`: a copy of
/// it, or a transposed copy (a tied weight the exporter stored twice).
bool holdSameWeight(mlir::Value weight, mlir::Value table);

/// Looks through slices that start at 0 with unit strides (exporters slice
/// a max-size mask down to the sequence length, sometimes twice).
mlir::Value skipPrefixSlices(mlir::Value value);

/// Whether `value` is produced by an llmc.constant.
bool isConstant(mlir::Value value);

/// For a commutative binary op `op` with operands (a, b): the operand that is
/// not `known`, or null when neither is.
mlir::Value otherOperand(mlir::Operation *op, mlir::Value known);

/// `type` as the IR prints it, for the reasons a pattern records.
std::string typeString(mlir::Type type);

} // namespace llmc

#endif // LLMC_PASSES_IMPORT_RAISE_MATCHERS_H
