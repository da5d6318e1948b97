//===- QuantizeRtn.cpp - 4-bit group-wise round-to-nearest ----------------===//
//
// See Passes.td: llmc-quantize-rtn.
//
//===----------------------------------------------------------------------===//

#include "passes/quant/QuantPasses.h"
#include "passes/quant/QuantTargets.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZERTN
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct QuantizeRtnPass : llmc::impl::QuantizeRtnBase<QuantizeRtnPass> {
  using QuantizeRtnBase::QuantizeRtnBase;
  QuantizeRtnPass(const QuantizeRtnOptions &options,
                  std::shared_ptr<const quant::CalibrationData> data)
      : QuantizeRtnBase(options), data(std::move(data)) {}

  void runOnOperation() override {
    quant::StatsSource stats(data.get(), 0);
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
      if (stats.available()) {
        FailureOr<const quant::InputStats *> found =
            stats.find(use, weight.k, getArgument());
        if (failed(found))
          return failure();
        inputs = *found;
      }
      return quant::finishInt4(&getContext(), use, inputs, weight, groupSize,
                               zeroPoint, std::move(q));
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
llmc::createQuantizeRtn(const QuantizeRtnOptions &options,
                        std::shared_ptr<const quant::CalibrationData> data) {
  return std::make_unique<QuantizeRtnPass>(options, std::move(data));
}
