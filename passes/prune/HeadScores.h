//===- HeadScores.h - how important each head is, and which to remove ----===//
//
// Scores are measured on llmc's own runtime through the calibration of
// passes/quant/Statistics.h (no PyTorch):
//   norm      the root-mean-square norm of the head's contribution to the
//             output projection's output over the calibration tokens,
//             sqrt(trace(Wo_h G_hh Wo_h^T) / tokens) from the Gram matrix G
//             of the projection's input (Minitron's activation score); a
//             KV group's is the root of its heads' squares' sum;
//   ablation  the calibration loss with the head (or the group's heads)
//             masked, minus the loss of the whole model: one run of a
//             compiled variant per unit, exact, no gradients;
//   random    uniform scores from a seed (the baseline a score must beat).
// The ranking is global: the least important units over all layers go
// first, no layer below its floor.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_PRUNE_HEADSCORES_H
#define LLMC_PASSES_PRUNE_HEADSCORES_H

#include "passes/prune/HeadLayers.h"
#include "passes/quant/Statistics.h"

#include <map>
#include <vector>

namespace llmc::prune {

/// One layer's importance: per query head (unit query) or per KV group
/// (unit group).
struct LayerScores {
  int64_t qHeads = 0, kvHeads = 0;
  std::vector<double> scores;
};

/// The units of `layer` that `unit` counts: its query heads or groups.
inline int64_t unitsOf(const LayerScores &layer, Unit unit) {
  return unit == Unit::query ? layer.qHeads : layer.kvHeads;
}

struct ScoreRequest {
  Unit unit = Unit::query;
  std::string score; // norm, ablation or random
  uint64_t seed = 0;
  quant::CalibrationRequest calibration;
};

/// Each layer's scores; `baseLoss` gets the whole model's calibration loss
/// when the score measured it (ablation).
mlir::FailureOr<std::vector<LayerScores>>
scoreLayers(mlir::ModuleOp module, llvm::ArrayRef<Layer> layers,
            const ScoreRequest &request, double &baseLoss);

struct Selection {
  double ratio = 0;
  /// Units kept in every layer at least.
  int64_t minPerLayer = 1;
  /// The same number from every layer (else a global ranking).
  bool uniform = false;
};

/// ablation over a global ranking, greedily: each round measures every
/// remaining unit's loss increase on the model with the units chosen so
/// far masked, and removes the cheapest slice or group, until the ratio is
/// reached; so the choice accounts for how heads stand in for each other.
/// `scores` gets the last round's measurements; errors go to `module`, or
/// to `error` when the selection cannot be met.
mlir::FailureOr<std::map<int64_t, std::set<int64_t>>>
selectByAblation(mlir::ModuleOp module, llvm::ArrayRef<Layer> layers,
                 const ScoreRequest &request, const Selection &selection,
                 std::vector<LayerScores> &scores, double &baseLoss,
                 std::string &error);

/// The units to remove, layer -> units (query heads or KV groups), or an
/// error message: query heads leave as slices (the least important
/// remaining head of each KV group together) so groups stay equal.
mlir::FailureOr<std::map<int64_t, std::set<int64_t>>>
selectUnits(llvm::ArrayRef<LayerScores> layers, Unit unit,
            const Selection &selection, std::string &error);

} // namespace llmc::prune

#endif // LLMC_PASSES_PRUNE_HEADSCORES_H
