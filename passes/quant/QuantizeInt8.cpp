//===- QuantizeInt8.cpp - weight-only int8, per output channel ------------===//
//
// See Passes.td: llmc-quantize-int8.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/quant/QuantMath.h"
#include "passes/quant/QuantTargets.h"
#include "runtime/format/KernelContract.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZEINT8
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct QuantizeInt8 : llmc::impl::QuantizeInt8Base<QuantizeInt8> {
  using QuantizeInt8Base::QuantizeInt8Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    std::vector<quant::WeightUse> uses =
        quant::collectWeightUses(getOperation(), skip);
    // Per-token scales: the ops say which of their inputs are rounded.
    if (activations == ActivationRounding::dynamic)
      for (const quant::WeightUse &use : uses)
        use.op->setAttr((quant::readsHidden(use) ? format::kHiddenRounding
                                                 : format::kInputRounding)
                            .int8Dynamic,
                        UnitAttr::get(context));
    auto quantize = [&](const quant::WeightUse &,
                        const quant::WeightMatrix &weight)
        -> FailureOr<quant::QuantizedWeight> {
      return quant::quantizeInt8(context, weight);
    };
    if (failed(quant::rewriteWeights(uses, getArgument(), quantize)))
      signalPassFailure();
  }
};

} // namespace
