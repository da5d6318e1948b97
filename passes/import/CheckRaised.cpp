//===- CheckRaised.cpp - report the blocks raising recognised but left ----===//
//
// Import clean-up (see Passes.td: llmc-check-raised), after
// llmc-fold-and-raise.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/import/raise/RaisePatterns.h"

namespace llmc {
#define GEN_PASS_DEF_CHECKRAISED
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;

namespace {

struct CheckRaised : llmc::impl::CheckRaisedBase<CheckRaised> {
  using CheckRaisedBase::CheckRaisedBase;

  void runOnOperation() override {
    // Layers are counted by their attentions, raised or not, in order.
    int64_t attentions = 0, total = 0;
    getOperation().walk([&](Operation *op) {
      total +=
          isa<llmc::AttentionOp>(op) ||
          (isa<llmc::SoftmaxOp>(op) && op->hasAttr(llmc::kUnraisedAttrName));
    });
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      auto why = op->getAttrOfType<StringAttr>(llmc::kUnraisedAttrName);
      if (!why) {
        attentions += isa<llmc::AttentionOp>(op);
        return;
      }
      // An attention must be raised (the KV cache is built on it); a RoPE
      // or norm left primitive still computes the same, only slower.
      if (isa<llmc::SoftmaxOp>(op)) {
        op->emitError() << "layer " << attentions++ << ": " << why.getValue();
        failed = true;
        return;
      }
      InFlightDiagnostic warning = op->emitWarning();
      if (attentions < total)
        warning << "before layer " << attentions << "'s attention: ";
      else
        warning << "after the last attention: ";
      warning << why.getValue() << " (it runs as primitive ops)";
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
