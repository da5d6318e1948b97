//===- HeadScores.cpp - how important each head is, and which to remove --===//

#include "passes/prune/HeadScores.h"

#include "passes/quant/QuantTargets.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace mlir;

namespace llmc::prune {

namespace {

/// The query heads of KV group `g` of `layer`, or just head `g` (unit
/// query).
SmallVector<int64_t> headsOfUnit(const Layer &layer, Unit unit, int64_t g) {
  if (unit == Unit::query)
    return {g};
  return layer.headsOf(g);
}

/// norm: each query head's mean squared contribution to the output
/// projection's output, trace(W_h G_hh W_h^T) / tokens.
FailureOr<std::vector<double>> headEnergies(const Layer &layer,
                                            quant::StatsSource &source) {
  LinearOp o = layer.outputProjection;
  quant::WeightUse use{o, o.getWeightMutable().getOperandNumber(),
                       "output projection"};
  FailureOr<quant::WeightMatrix> wo = quant::readWeight(use, kPass);
  if (failed(wo))
    return failure();
  FailureOr<const quant::InputStats *> stats = source.find(use, wo->k, kPass);
  if (failed(stats))
    return failure();
  const std::vector<double> &gram = (*stats)->gram();
  const int64_t d = layer.headDim, k = wo->k;
  const double tokens = static_cast<double>((*stats)->tokens());
  std::vector<double> energies(layer.qHeads, 0.0), outer(d * d);
  for (int64_t h = 0; h < layer.qHeads; ++h) {
    // W_h^T W_h, then its inner product with G_hh.
    std::fill(outer.begin(), outer.end(), 0.0);
    for (int64_t r = 0; r < wo->n; ++r) {
      const float *row = wo->values.data() + r * k + h * d;
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < d; ++j)
          outer[i * d + j] += double(row[i]) * row[j];
    }
    double sum = 0;
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < d; ++j)
        sum += outer[i * d + j] * gram[(h * d + i) * k + h * d + j];
    energies[h] = std::max(0.0, sum / tokens);
  }
  return energies;
}

/// Layer -> query heads to mask.
using HeadMask = std::map<int64_t, SmallVector<int64_t>>;

/// The mean calibration loss of `module` with `mask`'s heads zeroed before
/// their output projections (in the calibrator's own copy).
FailureOr<double> maskedLoss(ModuleOp module,
                             const quant::CalibrationRequest &whole,
                             const HeadMask &mask) {
  quant::CalibrationRequest masked = whole;
  masked.lossOnly = true;
  if (!mask.empty())
    masked.edit = [mask](ModuleOp copy) {
      SmallVector<AttentionOp> attentions = attentionLayers(copy);
      for (auto &[at, heads] : mask) {
        if (at >= static_cast<int64_t>(attentions.size()))
          return failure();
        FailureOr<Layer> traced = traceLayer(attentions[at], at, Unit::query);
        if (failed(traced) || failed(maskHeads(*traced, heads)))
          return failure();
      }
      return success();
    };
  FailureOr<std::shared_ptr<quant::CalibrationData>> run =
      quant::runCalibrator(module, masked, kPass);
  if (failed(run))
    return failure();
  return (*run)->meanLoss();
}

/// ablation needs sequences to run.
LogicalResult checkAblation(ModuleOp module, const ScoreRequest &request) {
  if (!request.calibration.path.empty())
    return success();
  return module.emitError()
         << kPass
         << ": score ablation runs the model with each head masked: it "
            "needs calib (a statistics file cannot)";
}

/// Whether a layer's units leave one at a time: KV groups, or the query
/// heads of multi-head attention (each its own group).
bool singleUnits(const LayerScores &layer, Unit unit) {
  return unitFor(layer.qHeads, layer.kvHeads, unit) == Unit::group;
}

/// How many removals (units, or slices of one query head per KV group) a
/// layer allows, keeping `minPerLayer` units and a head in every group.
int64_t removalCap(const LayerScores &layer, Unit unit, int64_t minPerLayer) {
  const int64_t units = unitsOf(layer, unit),
                keep = std::max<int64_t>(minPerLayer, 1);
  if (singleUnits(layer, unit))
    return std::max<int64_t>(0, units - keep);
  return std::max<int64_t>(0, std::min(layer.qHeads / layer.kvHeads - 1,
                                       (units - keep) / layer.kvHeads));
}

/// The units one removal takes from a layer.
int64_t removalSize(const LayerScores &layer, Unit unit) {
  return singleUnits(layer, unit) ? 1 : layer.kvHeads;
}

/// How many of all `layers`' units `selection`'s ratio removes, or an
/// error message when the floors leave fewer.
FailureOr<int64_t> targetOf(ArrayRef<LayerScores> layers, Unit unit,
                            const Selection &selection, std::string &error) {
  int64_t total = 0, reachable = 0;
  for (const LayerScores &layer : layers) {
    total += unitsOf(layer, unit);
    reachable += removalCap(layer, unit, selection.minPerLayer) *
                 removalSize(layer, unit);
  }
  const int64_t target = std::llround(selection.ratio * total);
  if (target <= reachable)
    return target;
  error = "a ratio of " + std::to_string(selection.ratio) + " asks for " +
          std::to_string(target) + " of " + std::to_string(total) +
          (unit == Unit::query ? " query heads" : " KV groups") +
          ", but keeping " + std::to_string(selection.minPerLayer) +
          " per layer leaves " + std::to_string(reachable) + " to remove";
  return failure();
}

} // namespace

FailureOr<std::map<int64_t, std::set<int64_t>>>
selectByAblation(ModuleOp module, ArrayRef<Layer> layers,
                 const ScoreRequest &request, const Selection &selection,
                 std::vector<LayerScores> &scores, double &baseLoss,
                 std::string &error) {
  if (failed(checkAblation(module, request)))
    return failure();
  const Unit unit = request.unit;
  scores.clear();
  for (const Layer &layer : layers) {
    LayerScores entry{layer.qHeads, layer.kvHeads, {}};
    entry.scores.assign(unitsOf(entry, unit), 0.0);
    scores.push_back(std::move(entry));
  }
  FailureOr<int64_t> target = targetOf(scores, unit, selection, error);
  if (failed(target))
    return failure();
  std::map<int64_t, std::set<int64_t>> removed;
  std::vector<int64_t> taken(layers.size(), 0);
  HeadMask mask;
  FailureOr<double> base = maskedLoss(module, request.calibration, mask);
  if (failed(base))
    return failure();
  baseLoss = *base;
  double current = *base;
  for (int64_t count = 0; count < *target;) {
    // Every remaining unit, masked beside those chosen so far.
    for (auto [index, layer] : llvm::enumerate(layers)) {
      const int64_t l = static_cast<int64_t>(index);
      if (taken[l] >= removalCap(scores[l], unit, selection.minPerLayer))
        continue;
      for (int64_t u = 0; u < unitsOf(scores[l], unit); ++u) {
        if (removed[l].count(u))
          continue;
        HeadMask trial = mask;
        for (int64_t h : headsOfUnit(layer, unit, u))
          trial[l].push_back(h);
        FailureOr<double> loss = maskedLoss(module, request.calibration, trial);
        if (failed(loss))
          return failure();
        scores[l].scores[u] = *loss - current;
      }
    }
    // The cheapest removal that fits: a unit, or a slice of each group's
    // cheapest remaining head.
    double best = INFINITY;
    int64_t bestLayer = -1;
    std::vector<int64_t> bestUnits;
    for (auto [index, layer] : llvm::enumerate(scores)) {
      const int64_t l = static_cast<int64_t>(index);
      if (taken[l] >= removalCap(layer, unit, selection.minPerLayer) ||
          count + removalSize(layer, unit) > *target)
        continue;
      const int64_t groups = singleUnits(layer, unit) ? 1 : layer.kvHeads;
      const int64_t perGroup = unitsOf(layer, unit) / groups;
      std::vector<int64_t> slice;
      double sum = 0;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t pick = -1;
        for (int64_t u = g * perGroup; u < (g + 1) * perGroup; ++u)
          if (!removed[l].count(u) &&
              (pick < 0 || layer.scores[u] < layer.scores[pick]))
            pick = u;
        slice.push_back(pick);
        sum += layer.scores[pick];
      }
      if (sum < best) {
        best = sum;
        bestLayer = l;
        bestUnits = slice;
      }
    }
    if (bestLayer < 0)
      break;
    removed[bestLayer].insert(bestUnits.begin(), bestUnits.end());
    taken[bestLayer] += 1;
    count += static_cast<int64_t>(bestUnits.size());
    for (int64_t u : bestUnits)
      for (int64_t h : headsOfUnit(layers[bestLayer], unit, u))
        mask[bestLayer].push_back(h);
    FailureOr<double> loss = maskedLoss(module, request.calibration, mask);
    if (failed(loss))
      return failure();
    current = *loss;
  }
  for (auto it = removed.begin(); it != removed.end();)
    it = it->second.empty() ? removed.erase(it) : std::next(it);
  return removed;
}

FailureOr<std::vector<LayerScores>> scoreLayers(ModuleOp module,
                                                ArrayRef<Layer> layers,
                                                const ScoreRequest &request,
                                                double &baseLoss) {
  std::vector<LayerScores> out;
  for (const Layer &layer : layers)
    out.push_back({layer.qHeads, layer.kvHeads, {}});
  if (request.score == "random") {
    std::mt19937_64 engine(request.seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (LayerScores &layer : out)
      for (int64_t u = 0; u < unitsOf(layer, request.unit); ++u)
        layer.scores.push_back(uniform(engine));
    return out;
  }
  if (request.score == "norm") {
    FailureOr<quant::StatsSource> source =
        quant::StatsSource::gather(module, request.calibration, 0, kPass);
    if (failed(source))
      return failure();
    if (!source->available())
      return module.emitError()
             << kPass << ": score norm needs calibration data (calib or stats)";
    for (auto [layer, scores] : llvm::zip(layers, out)) {
      FailureOr<std::vector<double>> energies = headEnergies(layer, *source);
      if (failed(energies))
        return failure();
      for (int64_t u = 0; u < unitsOf(scores, request.unit); ++u) {
        double sum = 0;
        for (int64_t h : headsOfUnit(layer, request.unit, u))
          sum += (*energies)[h];
        scores.scores.push_back(std::sqrt(sum));
      }
    }
    return out;
  }
  if (request.score == "ablation") {
    if (failed(checkAblation(module, request)))
      return failure();
    FailureOr<double> base = maskedLoss(module, request.calibration, {});
    if (failed(base))
      return failure();
    baseLoss = *base;
    for (auto [index, layer] : llvm::enumerate(layers)) {
      for (int64_t u = 0; u < unitsOf(out[index], request.unit); ++u) {
        HeadMask mask{
            {static_cast<int64_t>(index), headsOfUnit(layer, request.unit, u)}};
        FailureOr<double> loss = maskedLoss(module, request.calibration, mask);
        if (failed(loss))
          return failure();
        out[index].scores.push_back(*loss - baseLoss);
      }
    }
    return out;
  }
  return module.emitError() << kPass << ": score '" << request.score
                            << "' is not norm, ablation or random";
}

FailureOr<std::map<int64_t, std::set<int64_t>>>
selectUnits(ArrayRef<LayerScores> layers, Unit unit, const Selection &selection,
            std::string &error) {
  // A candidate removal: one KV group, or one slice of query heads (the
  // j-th least important head of every group of a layer).
  struct Candidate {
    double score;
    int64_t layer, order;
    std::vector<int64_t> units;
  };
  std::vector<Candidate> candidates;
  for (auto [index, layer] : llvm::enumerate(layers)) {
    const int64_t l = static_cast<int64_t>(index);
    const int64_t units = unitsOf(layer, unit);
    std::vector<int64_t> order(units);
    for (int64_t u = 0; u < units; ++u)
      order[u] = u;
    auto byScore = [&](int64_t a, int64_t b) {
      return layer.scores[a] != layer.scores[b]
                 ? layer.scores[a] < layer.scores[b]
                 : a < b;
    };
    if (singleUnits(layer, unit)) {
      std::sort(order.begin(), order.end(), byScore);
      for (int64_t j = 0; j < units; ++j)
        candidates.push_back({layer.scores[order[j]], l, j, {order[j]}});
      continue;
    }
    const int64_t groups = layer.kvHeads, group = layer.qHeads / groups;
    std::vector<std::vector<int64_t>> ranked(groups);
    for (int64_t g = 0; g < groups; ++g) {
      ranked[g].assign(order.begin() + g * group,
                       order.begin() + (g + 1) * group);
      std::sort(ranked[g].begin(), ranked[g].end(), byScore);
    }
    for (int64_t j = 0; j < group; ++j) {
      Candidate slice{0.0, l, j, {}};
      for (int64_t g = 0; g < groups; ++g) {
        slice.units.push_back(ranked[g][j]);
        slice.score += layer.scores[ranked[g][j]];
      }
      candidates.push_back(std::move(slice));
    }
  }
  std::vector<int64_t> caps;
  for (const LayerScores &layer : layers)
    caps.push_back(removalCap(layer, unit, selection.minPerLayer));
  std::map<int64_t, std::set<int64_t>> removed;
  std::vector<int64_t> taken(layers.size(), 0);
  const char *noun = unit == Unit::query ? "query heads" : "KV groups";
  if (selection.uniform) {
    for (const Candidate &c : candidates) {
      const LayerScores &layer = layers[c.layer];
      const double want = selection.ratio * unitsOf(layer, unit);
      const int64_t step = removalSize(layer, unit);
      const int64_t count = std::llround(want);
      // A ratio written to a few decimals (0.33 of 12 heads) means the
      // nearest whole count.
      if (std::fabs(want - count) > 0.05 || count % step != 0) {
        error = "a ratio of " + std::to_string(selection.ratio) + " of layer " +
                std::to_string(c.layer) + "'s " +
                std::to_string(unitsOf(layer, unit)) + " " + noun +
                " is not a whole number" +
                (step > 1 ? " of slices of " + std::to_string(layer.kvHeads) +
                                " (one head from each KV group)"
                          : std::string()) +
                ": uniform pruning cannot remove it evenly";
        return failure();
      }
      if (count / step > caps[c.layer]) {
        error = "removing " + std::to_string(count) + " " + noun +
                " from layer " + std::to_string(c.layer) +
                " would leave it fewer than its floor";
        return failure();
      }
      if (c.order < count / step)
        removed[c.layer].insert(c.units.begin(), c.units.end());
    }
    return removed;
  }
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const Candidate &a, const Candidate &b) { return a.score < b.score; });
  int64_t count = 0;
  FailureOr<int64_t> target = targetOf(layers, unit, selection, error);
  if (failed(target))
    return failure();
  for (const Candidate &c : candidates) {
    const int64_t size = static_cast<int64_t>(c.units.size());
    // A layer's slices go in order (their scores never decrease).
    if (taken[c.layer] >= caps[c.layer] || c.order != taken[c.layer] ||
        count + size > *target)
      continue;
    removed[c.layer].insert(c.units.begin(), c.units.end());
    taken[c.layer] += 1;
    count += size;
  }
  return removed;
}

} // namespace llmc::prune
