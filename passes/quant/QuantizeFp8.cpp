//===- QuantizeFp8.cpp - fp8 E4M3 weights, per output channel -------------===//
//
// See Passes.td: llmc-quantize-fp8.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/quant/QuantMath.h"
#include "passes/quant/QuantTargets.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZEFP8
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct QuantizeFp8Pass : llmc::impl::QuantizeFp8Base<QuantizeFp8Pass> {
  using QuantizeFp8Base::QuantizeFp8Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
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
    if (failed(quant::rewriteWeights(
            quant::collectWeightUses(getOperation(), skip), getArgument(),
            quantize)))
      signalPassFailure();
  }
};

} // namespace
