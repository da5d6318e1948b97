//===- SpeculativeVerify.cpp - @verify: drafted tokens scored in one call ===//
//
// See Passes.td: llmc-speculative-verify.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Interfaces/InferTypeOpInterface.h"

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

/// Gives `op` the result types its operands now infer; fails (naming it)
/// when it cannot infer them.
LogicalResult reinfer(Operation *op) {
  auto inferring = dyn_cast<InferTypeOpInterface>(op);
  if (!inferring)
    return op->emitError("llmc-speculative-verify: ")
           << op->getName()
           << " reads the sequence's positions, which become one row per "
              "sequence, and its result type cannot follow";
  SmallVector<Type> types;
  if (failed(inferring.inferReturnTypes(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
          op->getRegions(), types)))
    return failure();
  for (auto [result, type] : llvm::zip(op->getResults(), types))
    result.setType(type);
  return success();
}

/// Makes `shifted` (iota + position, [tokens]) the per-sequence positions
/// `rows` ([batch, tokens]) for every op that reads it, following the
/// result types that change (an embedding of the positions, then the add
/// into the token embeddings, whose type stays).
LogicalResult usePerSequence(Value shifted, Value rows) {
  SmallVector<std::pair<OpOperand *, Value>> worklist;
  for (OpOperand &use : llvm::make_early_inc_range(shifted.getUses()))
    worklist.push_back({&use, rows});
  while (!worklist.empty()) {
    auto [use, value] = worklist.pop_back_val();
    Operation *user = use->getOwner();
    SmallVector<Type> before(user->getResultTypes());
    use->set(value);
    if (isa<RopeOp>(user))
      continue; // [batch, tokens] positions rotate each sequence's own
    if (failed(reinfer(user)))
      return failure();
    for (auto [result, type] : llvm::zip(user->getResults(), before))
      if (result.getType() != type)
        for (OpOperand &next : result.getUses())
          worklist.push_back({&next, result});
  }
  return success();
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
    if (failed(buildVerify(decode)))
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
    Dim batch = getDims(idsType)[0], tokens = getDims(idsType)[1];
    Type i64 = b.getI64Type();
    unsigned index = position.getArgNumber() + 1;
    if (failed(verify.insertArgument(
            index, buildTensorType({batch}, i64),
            b.getDictionaryAttr(
                {b.getNamedAttr("llmc.name", b.getStringAttr("positions"))}),
            verify.getLoc())))
      return failure();
    Value positions = verify.getArgument(index);
    verify.setArgAttr(0, "llmc.max_tokens",
                      b.getI64IntegerAttr(draftTokens + 1));

    // positions[b] + t, built once where the positions are first read.
    b.setInsertionPointToStart(&verify.getBody().front());
    Location loc = verify.getLoc();
    Value column = ReshapeOp::create(
        b, loc, buildTensorType({batch, Dim::fixed(1)}, i64), positions);
    Value iota = IotaOp::create(b, loc, buildTensorType({tokens}, i64));
    Value row = ReshapeOp::create(
        b, loc, buildTensorType({Dim::fixed(1), tokens}, i64), iota);
    Value rows = AddOp::create(b, loc, buildTensorType({batch, tokens}, i64),
                               column, row);

    for (OpOperand &use : llvm::make_early_inc_range(position.getUses())) {
      Operation *user = use.getOwner();
      if (isa<KvCacheReadOp, KvCacheWriteOp>(user)) {
        use.set(positions);
        continue;
      }
      // llmc-kv-cache's shift of the sequence's positions: iota + position.
      auto add = dyn_cast<AddOp>(user);
      auto shiftedIota = add ? add.getLhs().getDefiningOp<IotaOp>() : IotaOp();
      if (shiftedIota && add.getRhs() == position &&
          add.getType().getRank() == 1) {
        if (failed(usePerSequence(add, rows)))
          return failure();
        add.erase();
        if (shiftedIota->use_empty())
          shiftedIota.erase();
        continue;
      }
      return user->emitError("llmc-speculative-verify: ")
             << user->getName()
             << " reads the decode position; @verify has one per sequence";
    }
    if (failed(verify.eraseArgument(position.getArgNumber())))
      return failure();
    return success();
  }
};

} // namespace
