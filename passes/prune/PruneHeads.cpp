//===- PruneHeads.cpp - remove chosen query heads from attention layers ---===//
//
// See Passes.td: llmc-prune-heads.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/prune/HeadScores.h"

#include <map>
#include <set>

namespace llmc {
#define GEN_PASS_DEF_PRUNEHEADS
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;
using namespace llmc::prune;

namespace {

/// "layer:head,head;layer:head" as layer -> heads, or an error message.
FailureOr<std::map<int64_t, std::set<int64_t>>> parseHeads(StringRef text,
                                                           std::string &error) {
  std::map<int64_t, std::set<int64_t>> heads;
  SmallVector<StringRef> layers;
  text.split(layers, ';', -1, /*KeepEmpty=*/false);
  for (StringRef entry : layers) {
    auto [layerText, list] = entry.trim().split(':');
    int64_t layer = 0;
    if (layerText.trim().getAsInteger(10, layer) || layer < 0 ||
        list.trim().empty()) {
      error = ("'" + entry.trim() + "' is not layer:head,head,...").str();
      return failure();
    }
    SmallVector<StringRef> items;
    list.split(items, ',', -1, /*KeepEmpty=*/false);
    for (StringRef item : items) {
      int64_t head = 0;
      if (item.trim().getAsInteger(10, head) || head < 0) {
        error = ("'" + item.trim() + "' in '" + entry.trim() +
                 "' is not a head number")
                    .str();
        return failure();
      }
      heads[layer].insert(head);
    }
  }
  return heads;
}

/// "0:1,4;3:0": what a ranking chose, as `heads` takes it.
std::string listOf(const std::map<int64_t, std::set<int64_t>> &units) {
  std::string list;
  for (auto &[layer, chosen] : units)
    list += (list.empty() ? "" : ";") + std::to_string(layer) + ":" +
            joinHeads(chosen);
  return list;
}

struct PruneHeads : llmc::impl::PruneHeadsBase<PruneHeads> {
  using PruneHeadsBase::PruneHeadsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &why) {
      module.emitError() << kPass << ": " << why;
      signalPassFailure();
    };
    if (unit != "query" && unit != "group")
      return fail("unit '" + unit + "' is not query or group");
    const Unit units = unit == "query" ? Unit::query : Unit::group;
    if (!(ratio >= 0.0 && ratio < 1.0))
      return fail("ratio " + std::to_string(ratio) +
                  " is outside [0, 1): the share of " +
                  (units == Unit::query ? "query heads" : "KV groups") +
                  " to remove");
    if (minPerLayer < 1)
      return fail("min-per-layer " + std::to_string(minPerLayer) +
                  " would let a layer lose every head: keep 1 or more");
    if (ratio > 0.0 && !heads.empty())
      return fail("heads and ratio both choose what to remove: give one");
    std::string error;
    FailureOr<std::map<int64_t, std::set<int64_t>>> chosen =
        parseHeads(heads, error);
    if (failed(chosen))
      return fail("heads=" + heads + ": " + error);
    if (chosen->empty() && ratio == 0.0)
      return;
    if (module->hasAttr("llmc.kv_cache"))
      return fail("the model already has a KV cache: prune before "
                  "llmc-kv-cache (right after raising)");
    if (module->hasAttr("llmc.pruned_heads"))
      return fail(
          "the model is already pruned (" +
          cast<StringAttr>(module->getAttr("llmc.pruned_heads")).getValue() +
          "): prune the original model once");
    SmallVector<AttentionOp> attentions = attentionLayers(module);
    const int64_t count = static_cast<int64_t>(attentions.size());
    if (ratio > 0.0) {
      FailureOr<std::map<int64_t, std::set<int64_t>>> ranked =
          rank(module, attentions, units);
      if (failed(ranked))
        return signalPassFailure();
      chosen = std::move(ranked);
    }
    for (auto &[index, removed] : *chosen)
      if (index >= count)
        return fail("layer " + Twine(index) +
                    " does not exist (the model has " + Twine(count) +
                    " attention layers, 0 to " + Twine(count - 1) + ")");
    // Every layer is checked before any changes.
    std::map<int64_t, std::pair<std::set<int64_t>, std::set<int64_t>>> plan;
    std::map<int64_t, Layer> traced;
    for (auto &[index, removed] : *chosen) {
      FailureOr<Layer> layer = traceLayer(attentions[index], index, units);
      if (failed(layer))
        return signalPassFailure();
      FailureOr<std::pair<std::set<int64_t>, std::set<int64_t>>> what =
          checkLayer(*layer, index, removed);
      if (failed(what))
        return signalPassFailure();
      plan[index] = *what;
      traced[index] = *layer;
    }
    for (auto &[index, what] : plan)
      if (failed(pruneLayer(traced[index], index, what.first, what.second)))
        return signalPassFailure();
    module->setAttr(
        "llmc.pruned_heads",
        StringAttr::get(&getContext(), unit + ":" + listOf(*chosen)));
  }

  /// The query heads and KV groups `removed` (units of the layer's unit)
  /// takes from `layer`, or an error naming the layer.
  FailureOr<std::pair<std::set<int64_t>, std::set<int64_t>>>
  checkLayer(Layer layer, int64_t index, const std::set<int64_t> &removed) {
    auto fail = [&](const Twine &why) {
      return layer.attention.emitError() << kPass << ": layer " << index << why;
    };
    const int64_t group = layer.group();
    if (layer.unit == Unit::group) {
      if (*removed.rbegin() >= layer.kvHeads)
        return fail(" has no KV group " + Twine(*removed.rbegin()) +
                    " (it has " + Twine(layer.kvHeads) + ", 0 to " +
                    Twine(layer.kvHeads - 1) + ")");
      if (static_cast<int64_t>(removed.size()) == layer.kvHeads)
        return fail(": pruning every KV group would leave it without heads");
      std::set<int64_t> queries;
      for (int64_t g : removed)
        for (int64_t h : layer.headsOf(g))
          queries.insert(h);
      return std::make_pair(queries, removed);
    }
    if (*removed.rbegin() >= layer.qHeads)
      return fail(" has no head " + Twine(*removed.rbegin()) + " (it has " +
                  Twine(layer.qHeads) + " query heads, 0 to " +
                  Twine(layer.qHeads - 1) + ")");
    if (static_cast<int64_t>(removed.size()) == layer.qHeads)
      return fail(": pruning every head would leave it without heads");
    // Grouped-query attention: query head h reads KV head h / group, so
    // each group must lose as many heads as the others.
    std::vector<int64_t> perGroup(layer.kvHeads, 0);
    for (int64_t head : removed)
      ++perGroup[head / group];
    if (llvm::any_of(perGroup, [&](int64_t n) { return n != perGroup[0]; }))
      return fail(": the query heads " + joinHeads(removed) +
                  " take unequal numbers from its " + Twine(layer.kvHeads) +
                  " KV groups of " + Twine(group) +
                  " (query heads inside each group must stay equal in "
                  "number; --prune-unit group removes whole groups)");
    return std::make_pair(removed, std::set<int64_t>());
  }

  /// The units a `ratio` takes, by `score`, reported in a remark that gives
  /// the list (`heads=`) to compile the same model again without
  /// calibrating.
  FailureOr<std::map<int64_t, std::set<int64_t>>>
  rank(ModuleOp module, ArrayRef<AttentionOp> attentions, Unit units) {
    SmallVector<Layer> layers;
    for (auto [index, attention] : llvm::enumerate(attentions)) {
      FailureOr<Layer> layer = traceLayer(attention, index, units);
      if (failed(layer))
        return failure();
      layers.push_back(*layer);
    }
    ScoreRequest request;
    request.unit = units;
    request.score = score;
    request.seed = seed;
    request.calibration = {calib, calibTokenizer, stats};
    double baseLoss = 0;
    Selection selection{ratio, minPerLayer, uniform};
    std::string error;
    FailureOr<std::vector<LayerScores>> scores;
    FailureOr<std::map<int64_t, std::set<int64_t>>> chosen;
    if (score == "ablation" && !uniform) {
      scores.emplace();
      chosen = selectByAblation(module, layers, request, selection, *scores,
                                baseLoss, error);
    } else {
      scores = scoreLayers(module, layers, request, baseLoss);
      if (failed(scores))
        return failure();
      chosen = selectUnits(*scores, units, selection, error);
    }
    if (failed(chosen))
      return error.empty() ? failure()
                           : module.emitError() << kPass << ": " << error;
    int64_t removed = 0, total = 0;
    for (auto &[layer, set] : *chosen)
      removed += static_cast<int64_t>(set.size());
    for (const LayerScores &layer : *scores)
      total += unitsOf(layer, units);
    module.emitRemark() << kPass << ": " << score << " ranks " << removed
                        << " of " << total
                        << (units == Unit::query ? " query heads"
                                                 : " KV groups")
                        << " lowest: heads=" << listOf(*chosen);
    return chosen;
  }
};

} // namespace
