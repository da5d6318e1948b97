//===- HeadLayers.h - attention layers as head pruning sees them ---------===//
//
// A raised attention layer is a query, key and value projection each
// split into heads (and rotated), the attention, and the merge of its heads
// into the output projection. Pruning removes heads from all of them;
// ranking heads masks one at a time (zeroes its output before the output
// projection, which is what removing it computes).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_PRUNE_HEADLAYERS_H
#define LLMC_PASSES_PRUNE_HEADLAYERS_H

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/BuiltinOps.h"

#include <set>

namespace llmc::prune {

constexpr llvm::StringLiteral kPass = "llmc-prune-heads";

/// What pruning removes: query heads inside KV groups, or whole groups.
enum class Unit { query, group };

/// The unit a layer of `qHeads` query and `kvHeads` KV heads loses when
/// `unit` is asked for: in multi-head attention a query head is a KV group
/// of its own, so it goes with its keys and values.
inline Unit unitFor(int64_t qHeads, int64_t kvHeads, Unit unit) {
  return qHeads == kvHeads ? Unit::group : unit;
}

/// q, k or v: [rope] reshape(linear(x, W[, b])) into heads.
struct HeadSplit {
  LinearOp projection;
  ReshapeOp split;
  RopeOp rope; // may be null
};

struct Layer {
  AttentionOp attention;
  HeadSplit query, key, value; // key and value: when unit is group
  ReshapeOp outputMerge;
  LinearOp outputProjection;
  int64_t qHeads = 0, kvHeads = 0, headDim = 0;
  /// What this layer loses (unitFor).
  Unit unit = Unit::query;
  /// Query heads per KV group: query head h reads KV head h / group.
  int64_t group() const { return qHeads / kvHeads; }
  /// The query heads of KV group `g`.
  llvm::SmallVector<int64_t> headsOf(int64_t g) const {
    llvm::SmallVector<int64_t> heads;
    for (int64_t h = g * group(); h < (g + 1) * group(); ++h)
      heads.push_back(h);
    return heads;
  }
};

/// The attention ops of `module` in program order: layers 0...
llvm::SmallVector<AttentionOp> attentionLayers(mlir::ModuleOp module);

/// `attention`, the `index`th layer, traced for losing `unit`s (its keys
/// and values too when that makes it lose groups: unitFor); an error
/// naming the layer when it is not built as the raise passes build it.
mlir::FailureOr<Layer> traceLayer(AttentionOp attention, int64_t index,
                                  Unit unit);

/// Removes `heads` (query heads) from the layer and, when `groups` is not
/// empty, those KV groups' kv heads (`heads` then holds all their query
/// heads), and says so in a remark naming the output projection's weight
/// in the model file and the axis of its input features.
mlir::LogicalResult pruneLayer(Layer &layer, int64_t index,
                               const std::set<int64_t> &heads,
                               const std::set<int64_t> &groups);

/// Zeroes the output projection's input features of query `heads`.
mlir::LogicalResult maskHeads(Layer &layer, llvm::ArrayRef<int64_t> heads);

/// "1,4": heads as the options and the messages write them.
std::string joinHeads(const std::set<int64_t> &heads);

} // namespace llmc::prune

#endif // LLMC_PASSES_PRUNE_HEADLAYERS_H
