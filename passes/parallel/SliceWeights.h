//===- SliceWeights.h - a rank's part of a weight -------------------------===//
//
// Tensor parallelism gives each rank some rows (output features: a
// column-parallel linear, the heads of q, k and v, a vocabulary slice) or
// some columns (input features: a row-parallel linear) of a weight. A
// weight operand is an f32/f16/bf16 constant [out, in], the [1, 0]
// transpose of one [in, out] (as ONNX MatMul keeps it), or a quantized
// `llmc.qconstant`, whose codes, scales and zero points are cut alike:
// columns only at scale-group boundaries, so that the rank's values are
// exactly the unsharded ones. The same cut of the same weight (read by
// @prefill, @decode and @verify alike) is made once.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_PARALLEL_SLICEWEIGHTS_H
#define LLMC_PASSES_PARALLEL_SLICEWEIGHTS_H

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <string>
#include <utility>

namespace llmc::parallel {

/// Ranges [begin, end) along one axis of a weight's logical [out, in].
/// A range {kPadding, n} is n rows or columns of zeros (a vocabulary
/// padded to a multiple of the ranks).
using Ranges = llvm::SmallVector<std::pair<int64_t, int64_t>, 4>;
constexpr int64_t kPadding = -1;

enum class Axis { out, in };

class WeightSlicer {
public:
  /// `pass` prefixes every error.
  explicit WeightSlicer(llvm::StringRef pass) : pass_(pass) {}

  /// Points `weight` (an op's operand) at `ranges` of its value along
  /// `axis`, built before the op: the rows or columns in the order given
  /// (a range may repeat: a KV head several ranks' queries share). An
  /// error at the op when the weight is none of the kinds above, or a
  /// column cut splits a scale group.
  mlir::LogicalResult slice(mlir::OpOperand &weight, Axis axis,
                            const Ranges &ranges);

  /// `ranges` of a 1-D constant operand (a bias), the same way.
  mlir::LogicalResult sliceVector(mlir::OpOperand &vector,
                                  const Ranges &ranges);

private:
  /// The attribute holding `ranges` along physical `dim` of `source` (a
  /// constant's value of `type`), made once per source and cut.
  mlir::FailureOr<mlir::Attribute> cut(mlir::Operation *op,
                                       mlir::Attribute source,
                                       mlir::RankedTensorType type, int dim,
                                       const Ranges &ranges);

  std::string pass_;
  std::map<std::pair<const void *, std::string>, mlir::Attribute> made_;
};

/// The extent `ranges` cover, padding included.
int64_t extentOf(const Ranges &ranges);

} // namespace llmc::parallel

#endif // LLMC_PASSES_PARALLEL_SLICEWEIGHTS_H
