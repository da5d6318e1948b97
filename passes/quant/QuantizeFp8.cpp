//===- QuantizeFp8.cpp - fp8 E4M3 weights (and activations) ---------------===//
//
// See Passes.td: llmc-quantize-fp8.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/quant/QuantMath.h"
#include "passes/quant/QuantTargets.h"
#include "passes/quant/Statistics.h"
#include "runtime/format/KernelContract.h"

#include "mlir/IR/Builders.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZEFP8
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct QuantizeFp8 : llmc::impl::QuantizeFp8Base<QuantizeFp8> {
  using QuantizeFp8Base::QuantizeFp8Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    std::vector<quant::WeightUse> uses =
        quant::collectWeightUses(getOperation(), skip);
    if (activations != ActivationRounding::none &&
        failed(markActivations(uses)))
      return signalPassFailure();
    auto quantize = [&](const quant::WeightUse &,
                        const quant::WeightMatrix &weight)
        -> FailureOr<quant::QuantizedWeight> {
      quant::QuantizedWeight out;
      quant::quantizeFp8Rows(weight.values.data(), weight.n, weight.k,
                             out.codes, out.scales);
      out.type = QWeightType::get(
          context, {weight.n, weight.k}, Float8E4M3FNType::get(context),
          QuantGranularity::per_channel, 0, Float32Type::get(context), Type());
      return out;
    };
    if (failed(quant::rewriteWeights(uses, getArgument(), quantize)))
      signalPassFailure();
  }

  /// Sets the activation attributes on the ops whose weights are rounded:
  /// a feed-forward op's input counts when its gate/up weights are, its
  /// hidden activations when its down weight is.
  LogicalResult markActivations(ArrayRef<quant::WeightUse> uses) {
    FailureOr<quant::StatsSource> stats = quant::StatsSource::gather(
        getOperation(), {calib, calibTokenizer, this->stats},
        syntheticCalibration, getArgument());
    if (failed(stats))
      return failure();
    Builder b(&getContext());
    bool dynamic = activations == ActivationRounding::dynamic;
    for (const quant::WeightUse &use : uses) {
      const format::RoundingParams &names = quant::readsHidden(use)
                                                ? format::kHiddenRounding
                                                : format::kInputRounding;
      if (dynamic) {
        use.op->setAttr(names.fp8Dynamic, b.getUnitAttr());
        continue;
      }
      FailureOr<const quant::InputStats *> inputs =
          stats->find(use, quant::inputWidth(use), getArgument());
      if (failed(inputs))
        return failure();
      float largest = (*inputs)->maxMagnitude();
      use.op->setAttr(
          names.fp8Scale,
          b.getF32FloatAttr(largest > 0.0f ? largest / 448.0f : 1.0f));
    }
    return success();
  }
};

} // namespace
