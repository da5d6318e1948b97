//===- QuantizeGptq.cpp - 4-bit GPTQ --------------------------------------===//
//
// See Passes.td: llmc-quantize-gptq, and Gptq.h for the algorithm.
//
//===----------------------------------------------------------------------===//

#include "passes/quant/Gptq.h"
#include "passes/quant/QuantPasses.h"
#include "passes/quant/QuantTargets.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZEGPTQ
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct QuantizeGptqPass : llmc::impl::QuantizeGptqBase<QuantizeGptqPass> {
  using QuantizeGptqBase::QuantizeGptqBase;
  QuantizeGptqPass(const QuantizeGptqOptions &options,
                   std::shared_ptr<const quant::CalibrationData> data)
      : QuantizeGptqBase(options), data(std::move(data)) {}

  void runOnOperation() override {
    quant::StatsSource stats(data.get(), syntheticCalibration);
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
          stats.find(use, weight.k, getArgument());
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
    if (failed(quant::rewriteWeights(
            quant::collectWeightUses(getOperation(), skip), getArgument(),
            quantize)))
      signalPassFailure();
  }

  std::shared_ptr<const quant::CalibrationData> data;
};

} // namespace

std::unique_ptr<Pass>
llmc::createQuantizeGptq(const QuantizeGptqOptions &options,
                         std::shared_ptr<const quant::CalibrationData> data) {
  return std::make_unique<QuantizeGptqPass>(options, std::move(data));
}
