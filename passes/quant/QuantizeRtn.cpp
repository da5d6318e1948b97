//===- QuantizeRtn.cpp - 4-bit group-wise round-to-nearest ----------------===//
//
// See Passes.td: llmc-quantize-rtn.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/quant/QuantTargets.h"
#include "passes/quant/Statistics.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZERTN
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct QuantizeRtn : llmc::impl::QuantizeRtnBase<QuantizeRtn> {
  using QuantizeRtnBase::QuantizeRtnBase;

  void runOnOperation() override {
    FailureOr<quant::StatsSource> stats = quant::StatsSource::gather(
        getOperation(), {calib, calibTokenizer, this->stats}, 0, getArgument());
    if (failed(stats))
      return signalPassFailure();
    auto quantize = [&](const quant::WeightUse &use,
                        const quant::WeightMatrix &weight)
        -> FailureOr<quant::QuantizedWeight> {
      if (failed(quant::checkGroupSize(use, weight, groupSize, getArgument())))
        return failure();
      quant::Int4Matrix q = quant::quantizeInt4Rtn(
          weight.values.data(), weight.n, weight.k, groupSize, zeroPoint);
      // With calibration data, the error is worth reporting beside GPTQ's
      // and AWQ's.
      const quant::InputStats *inputs = nullptr;
      if (stats->available()) {
        FailureOr<const quant::InputStats *> found =
            stats->find(use, weight.k, getArgument());
        if (failed(found))
          return failure();
        inputs = *found;
      }
      return quant::finishInt4(&getContext(), use, inputs, weight, groupSize,
                               zeroPoint, std::move(q));
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
