//===- SymbolicShape.h - static, named and unknown dimensions -------------===//
//
// The llmc view of a tensor dimension: a static extent, a named symbolic
// extent (from the #llmc.dims encoding), or unknown. Shape inference of every
// llmc op is written in these terms, so symbolic names flow through the graph.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECTS_LLMC_IR_SYMBOLICSHAPE_H
#define LLMC_DIALECTS_LLMC_IR_SYMBOLICSHAPE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/ValueRange.h"
#include "llvm/ADT/SmallVector.h"

namespace llmc {

class Dim {
public:
  static Dim fixed(int64_t size) { return Dim(size, {}); }
  static Dim named(mlir::StringAttr name) {
    return Dim(mlir::ShapedType::kDynamic, name);
  }
  static Dim unknown() { return Dim(mlir::ShapedType::kDynamic, {}); }

  bool isStatic() const { return !mlir::ShapedType::isDynamic(size); }
  bool isNamed() const { return static_cast<bool>(name); }
  bool isUnknown() const { return !isStatic() && !isNamed(); }
  int64_t getSize() const { return size; }
  mlir::StringAttr getName() const { return name; }

  bool operator==(const Dim &other) const {
    return size == other.size && name == other.name;
  }
  bool operator!=(const Dim &other) const { return !(*this == other); }

private:
  Dim(int64_t size, mlir::StringAttr name) : size(size), name(name) {}
  int64_t size;
  mlir::StringAttr name;
};

mlir::Diagnostic &operator<<(mlir::Diagnostic &diag, const Dim &dim);

using DimList = llvm::SmallVector<Dim, 4>;

/// Whether two dimensions may be equal at run time as far as types tell.
inline bool dimsAgree(const Dim &a, const Dim &b) {
  return a == b || a.isUnknown() || b.isUnknown();
}

/// The extent of two concatenated extents: static sums add up, and named
/// ones make the name "a + b" (optimum's name for a KV cache after
/// appending: "past_sequence_length + sequence_length"); unknown otherwise.
Dim addDims(const Dim &a, const Dim &b);

/// The extent left when `part` is taken from `total`: static differences,
/// and the other term of a named "a + b"; unknown otherwise.
Dim subtractDims(const Dim &total, const Dim &part);

/// The dimensions of `type`, with names taken from its #llmc.dims encoding.
DimList getDims(mlir::RankedTensorType type);

/// A ranked tensor type with these dimensions; it carries a #llmc.dims
/// encoding exactly when at least one dimension is named.
mlir::RankedTensorType buildTensorType(llvm::ArrayRef<Dim> dims,
                                       mlir::Type elementType);

/// `type` (a ranked tensor) with dimension `dim` (negative: from the end)
/// of static extent `size`, its encoding kept (what a pass that removes
/// heads or features sets on the values it shrinks).
mlir::RankedTensorType withDim(mlir::Type type, int64_t dim, int64_t size);

/// Numpy broadcasting of two shapes (right-aligned). Two different names, or
/// a name against a static extent other than 1, do not broadcast: that is an
/// error reported at `loc` (when given) rather than a guess.
mlir::FailureOr<DimList> broadcastDims(llvm::ArrayRef<Dim> lhs,
                                       llvm::ArrayRef<Dim> rhs,
                                       std::optional<mlir::Location> loc);

/// True when `declared` is `inferred` or refines it: a dimension inference
/// leaves unknown may be declared with a name (or unknown), nothing else may
/// differ.
bool refinesDims(llvm::ArrayRef<Dim> declared, llvm::ArrayRef<Dim> inferred);

/// Whether result types declared on an op are compatible with the inferred
/// ones, in the sense of refinesDims (used by every shape-inferring op).
bool areCompatibleResultTypes(mlir::TypeRange inferred,
                              mlir::TypeRange declared);

/// ONNX Reshape: the dimensions of `input` reshaped to `shape`, whose static
/// entries mean what ONNX says (0 copies the input extent unless
/// `allowZero`, -1 is what remains of the element count, found by cancelling
/// static factors and names) and whose named or unknown entries are taken
/// as they are. The -1 entry stays unknown when the remainder is not a
/// single static extent or name.
mlir::FailureOr<DimList> resolveReshape(llvm::ArrayRef<Dim> input,
                                        llvm::ArrayRef<Dim> shape,
                                        bool allowZero,
                                        std::optional<mlir::Location> loc);

/// The result type of an elementwise op: its tensor operands broadcast, and
/// all have the element type of the first.
mlir::LogicalResult
inferElementwiseResult(std::optional<mlir::Location> loc,
                       mlir::ValueRange operands,
                       llvm::SmallVectorImpl<mlir::Type> &inferred);

/// The result type of a reduction over `axes` (strictly increasing, in
/// range), which become 1 with `keepDims` and disappear without.
mlir::LogicalResult
inferReductionResult(std::optional<mlir::Location> loc, mlir::Value input,
                     llvm::ArrayRef<int64_t> axes, bool keepDims,
                     llvm::SmallVectorImpl<mlir::Type> &inferred);

/// The extents of ONNX's even split (`num_outputs`) of `extent` into
/// `outputs` pieces: ceil(extent / outputs) each, the last what remains.
llvm::SmallVector<int64_t> evenSplitSizes(int64_t extent, int64_t outputs);

} // namespace llmc

#endif // LLMC_DIALECTS_LLMC_IR_SYMBOLICSHAPE_H
