//===- QuantizeRtn.cpp - 4-bit group-wise round-to-nearest ----------------===//
//
// See Passes.td: llmc-quantize-rtn.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/quant/QuantMath.h"
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

  void runOnOperation() override {
    auto quantize = [&](const quant::WeightUse &use,
                        const quant::WeightMatrix &weight)
        -> FailureOr<quant::QuantizedWeight> {
      if (failed(quant::checkGroupSize(use, weight, groupSize, getArgument())))
        return failure();
      quant::Int4Matrix q = quant::quantizeInt4Rtn(
          weight.values.data(), weight.n, weight.k, groupSize, zeroPoint);
      return quant::packInt4(&getContext(), weight, groupSize, zeroPoint,
                             std::move(q));
    };
    if (failed(quant::rewriteWeights(
            quant::collectWeightUses(getOperation(), skip), getArgument(),
            quantize)))
      signalPassFailure();
  }
};

} // namespace
