//===- SliceEvaluator.h - run a small subgraph at compile time ------------===//
//
// Exporters compute attention masks and RoPE angles at run time from the
// sequence length, positions and constants: Range, comparisons, Where,
// Gather, MatMul with the inverse frequencies, Cos/Sin. Raising patterns
// recognize such a computation by what it computes, not by its many
// spellings: this evaluator runs the backward slice of a value on concrete
// extents for the symbolic dimensions (and concrete data for the function
// arguments it reads) with a reference interpreter of the primitive ops.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_ANALYSIS_SLICEEVALUATOR_H
#define LLMC_PASSES_ANALYSIS_SLICEEVALUATOR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace llmc {

/// A row-major tensor of any element type, held as doubles (integers of up
/// to 2^53 and booleans as 0/1 are exact).
struct EvalTensor {
  llvm::SmallVector<int64_t> shape;
  std::vector<double> data;

  int64_t numElements() const;
  /// The element at a multi-index of `shape`'s rank.
  double at(llvm::ArrayRef<int64_t> index) const;
};

class SliceEvaluator {
public:
  /// `extents` gives each symbolic dimension name its value; a name written
  /// "a + b" (as optimum names concatenated caches) is the sum of its terms.
  /// No intermediate tensor may exceed `maxElements`.
  explicit SliceEvaluator(llvm::StringMap<int64_t> extents,
                          int64_t maxElements = int64_t(1) << 22);

  /// Gives `value` (typically a function argument) fixed contents.
  void bind(mlir::Value value, EvalTensor tensor);

  /// The contents of `value`, or failure when its slice reads an unbound
  /// argument, an op the interpreter does not know, a dimension without an
  /// extent, or grows beyond the limit. Results are memoized.
  mlir::FailureOr<const EvalTensor *> evaluate(mlir::Value value);

  /// One element of `value`, without computing all of it where it is a
  /// large elementwise, broadcast, reshape or transpose result: the element
  /// is computed from the operands' elements it reads (a mask of a few
  /// thousand positions squared is read a row at a time). Failure as for
  /// evaluate(), and for an index out of bounds.
  mlir::FailureOr<double> elementAt(mlir::Value value,
                                    llvm::ArrayRef<int64_t> index);

  /// The extents of `type` under the bindings (failure for `?`).
  mlir::FailureOr<llvm::SmallVector<int64_t>> extentsOf(mlir::Type type) const;

  /// The extents of `value`: from its type, else from its contents.
  mlir::FailureOr<llvm::SmallVector<int64_t>> shapeOf(mlir::Value value);

private:
  /// Results of at most this many elements are computed whole by elementAt.
  static constexpr int64_t kWholeElements = 1 << 14;

  mlir::FailureOr<EvalTensor> compute(mlir::Operation *op, unsigned result);
  mlir::FailureOr<int64_t> extentOf(llvm::StringRef name) const;
  /// The extents of an elementwise, reshape, expand or transpose result
  /// from its operands' extents, without computing it.
  mlir::FailureOr<llvm::SmallVector<int64_t>> inferShape(mlir::Value value);
  /// Which elements of its input a slice or dynamic_slice reads: from
  /// `start`, every `step`, `shape` of them on each axis.
  struct SliceWindow {
    llvm::SmallVector<int64_t> start, step, shape;
  };
  mlir::FailureOr<SliceWindow> sliceWindow(mlir::Operation *op,
                                           llvm::ArrayRef<int64_t> inputShape);
  /// The result extents of a reshape of `inputShape` (`target`: a
  /// dynamic_reshape's shape operand).
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  reshapedShape(mlir::Operation *op, llvm::ArrayRef<int64_t> inputShape,
                const EvalTensor *target) const;
  /// The result extents of an expand of `inputShape` (`target`: a
  /// dynamic_expand's shape operand).
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  expandedShape(mlir::Operation *op, llvm::ArrayRef<int64_t> inputShape,
                const EvalTensor *target) const;

  llvm::StringMap<int64_t> extents;
  int64_t maxElements;
  /// Owned one by one: evaluating an operand may grow the map while the
  /// contents of others are in use.
  llvm::DenseMap<mlir::Value, std::unique_ptr<EvalTensor>> values;
  llvm::DenseMap<mlir::Value, llvm::SmallVector<int64_t>> shapes;
};

/// An elementwise op's scalar function (with numpy broadcasting of its
/// operands, as evaluate() applies it), or nothing for other ops.
using ScalarFunction = std::function<double(llvm::ArrayRef<double>)>;
std::optional<ScalarFunction> scalarFunction(mlir::Operation *op);

/// Follows `value` through a chain of elementwise ops that each use it alone
/// with scalars (one element: Gemma 2's final soft-cap on the logits),
/// keep its type and are its only user; returns the chain's last value and
/// appends the ops to `chain`. Each position of the result depends on the
/// same position of `value` only.
mlir::Value followScalarChain(mlir::Value value,
                              llvm::SmallVectorImpl<mlir::Operation *> &chain);

// What to bind: evaluations give the function's inputs contents by the
// names exporters use (input_ids, attention_mask, position_ids) and its
// symbolic dimensions sample extents.

/// Whether `value` is computed by pure ops from constants, shapes (any
/// shape_of, whatever it reads) and `input` alone (no input: from
/// constants and shapes); `readsInput` says whether it reads `input`'s
/// elements at all.
bool readsOnly(mlir::Value value, mlir::BlockArgument input = {},
               bool *readsInput = nullptr);

/// The argument of `function` whose `llmc.onnx_name` is `name`, if any.
mlir::BlockArgument namedArgument(mlir::func::FuncOp function,
                                  llvm::StringRef name);

/// The symbolic dimension names of `function`'s arguments, each once, in
/// order of appearance.
llvm::SmallVector<mlir::StringAttr>
argumentDimNames(mlir::func::FuncOp function);

} // namespace llmc

#endif // LLMC_PASSES_ANALYSIS_SLICEEVALUATOR_H
