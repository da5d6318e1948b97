//===- SpeculativeVerify.cpp - @verify: drafted tokens scored in one call ===//
//
// See Passes.td: llmc-speculative-verify.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/kvcache/SequencePositions.h"

namespace llmc {
#define GEN_PASS_DEF_SPECULATIVEVERIFY
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// The argument of `function` named `name` (llmc.name), or null.
BlockArgument argumentNamed(func::FuncOp function, StringRef name) {
  for (BlockArgument argument : function.getArguments())
    if (auto attr = function.getArgAttrOfType<StringAttr>(
            argument.getArgNumber(), "llmc.name");
        attr && attr.getValue() == name)
      return argument;
  return {};
}

struct SpeculativeVerify
    : llmc::impl::SpeculativeVerifyBase<SpeculativeVerify> {
  using SpeculativeVerifyBase::SpeculativeVerifyBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (draftTokens < 1) {
      module.emitError("llmc-speculative-verify: draft-tokens must be at "
                       "least 1, not ")
          << int64_t(draftTokens);
      return signalPassFailure();
    }
    auto decode = module.lookupSymbol<func::FuncOp>("decode");
    if (!decode) {
      module.emitError("llmc-speculative-verify: no @decode (run "
                       "llmc-kv-cache first; a model without attention has "
                       "no cache to verify against)");
      return signalPassFailure();
    }
    if (module.lookupSymbol("verify")) {
      module.emitError("llmc-speculative-verify: the module has a @verify "
                       "already");
      return signalPassFailure();
    }
    // A paged cache's @decode takes a position per sequence already (and
    // any number of tokens): it scores drafts itself, and the runtime cuts
    // each sequence's rejected ones from its blocks.
    if (!argumentNamed(decode, "positions") && failed(buildVerify(decode)))
      return signalPassFailure();
    Builder b(module.getContext());
    module->setAttr("llmc.speculative",
                    b.getDictionaryAttr(b.getNamedAttr(
                        "draft_tokens", b.getI64IntegerAttr(draftTokens))));
  }

  LogicalResult buildVerify(func::FuncOp decode) {
    OpBuilder b(decode);
    b.setInsertionPointAfter(decode);
    auto verify = cast<func::FuncOp>(b.clone(*decode));
    verify.setSymName("verify");
    BlockArgument position = argumentNamed(verify, "position");
    auto idsType = dyn_cast<RankedTensorType>(verify.getArgumentTypes()[0]);
    if (!position || !idsType || idsType.getRank() != 2)
      return decode.emitError("llmc-speculative-verify: @decode must take "
                              "ids [batch, tokens] and a position");
    verify.setArgAttr(0, "llmc.max_tokens",
                      b.getI64IntegerAttr(draftTokens + 1));
    return kvcache::positionPerSequence(verify, position, "positions",
                                        "llmc-speculative-verify");
  }
};

} // namespace
