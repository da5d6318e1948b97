//===- QuantizeGptq.cpp - 4-bit GPTQ --------------------------------------===//
//
// See Passes.td: llmc-quantize-gptq, and Gptq.h for the algorithm.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/quant/Gptq.h"
#include "passes/quant/QuantTargets.h"
#include "passes/quant/Statistics.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZEGPTQ
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct QuantizeGptq : llmc::impl::QuantizeGptqBase<QuantizeGptq> {
  using QuantizeGptqBase::QuantizeGptqBase;

  void runOnOperation() override {
    FailureOr<quant::StatsSource> stats = quant::StatsSource::gather(
        getOperation(), {calib, calibTokenizer, this->stats},
        syntheticCalibration, getArgument());
    if (failed(stats))
      return signalPassFailure();
    quant::GptqSettings settings;
    settings.group = groupSize;
    settings.zeroPoint = zeroPoint;
    settings.actOrder = actOrder;
    settings.damp = damp;
    auto quantize = [&](const quant::WeightUse &use,
                        const quant::WeightMatrix &weight)
        -> FailureOr<quant::QuantizedWeight> {
      if (failed(quant::checkGroupSize(use, weight, groupSize, getArgument())))
        return failure();
      FailureOr<const quant::InputStats *> inputs =
          stats->find(use, weight.k, getArgument());
      if (failed(inputs))
        return failure();
      std::string error;
      std::optional<quant::Int4Matrix> q =
          quant::quantizeInt4Gptq(weight.values.data(), weight.n, weight.k,
                                  (*inputs)->gram(), settings, error);
      if (!q)
        return quant::emitWeightError(use, getArgument()) << error;
      return quant::finishInt4(&getContext(), use, *inputs, weight, groupSize,
                               zeroPoint, std::move(*q));
    };
    FailureOr<std::vector<quant::WeightUse>> uses = quant::setAsideUndivided(
        getOperation(), quant::collectWeightUses(getOperation(), skip),
        groupSize, fallback, getArgument());
    if (failed(uses) ||
        failed(quant::rewriteWeights(*uses, getArgument(), quantize)))
      signalPassFailure();
  }
};

} // namespace
