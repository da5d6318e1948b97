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
    int64_t attentions = 0;
    bool reported = false;
    getOperation().walk([&](Operation *op) {
      auto why = op->getAttrOfType<StringAttr>(llmc::kUnraisedAttrName);
      if (!why) {
        attentions += isa<llmc::AttentionOp>(op);
        return;
      }
      bool isAttention = isa<llmc::SoftmaxOp>(op);
      op->emitError() << "layer " << attentions << ": " << why.getValue();
      attentions += isAttention;
      reported = true;
    });
    if (reported)
      signalPassFailure();
  }
};

} // namespace
