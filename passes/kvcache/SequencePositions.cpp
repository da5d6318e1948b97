//===- SequencePositions.cpp - one decode position per sequence -----------===//

#include "passes/kvcache/SequencePositions.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Interfaces/InferTypeOpInterface.h"

using namespace mlir;
using namespace llmc;

namespace {

/// Gives `op` the result types its operands now infer; fails (naming it
/// and `pass`) when it cannot infer them.
LogicalResult reinfer(Operation *op, StringRef pass) {
  auto inferring = dyn_cast<InferTypeOpInterface>(op);
  if (!inferring)
    return op->emitError() << pass << ": " << op->getName()
                           << " reads the sequence's positions, which become "
                              "one row per sequence, and its result type "
                              "cannot follow";
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
LogicalResult usePerSequence(Value shifted, Value rows, StringRef pass) {
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
    if (failed(reinfer(user, pass)))
      return failure();
    for (auto [result, type] : llvm::zip(user->getResults(), before))
      if (result.getType() != type)
        for (OpOperand &next : result.getUses())
          worklist.push_back({&next, result});
  }
  return success();
}

} // namespace

LogicalResult kvcache::positionPerSequence(func::FuncOp function,
                                           BlockArgument position,
                                           StringRef name, StringRef pass) {
  auto idsType = dyn_cast<RankedTensorType>(function.getArgumentTypes()[0]);
  if (!idsType || idsType.getRank() != 2)
    return function.emitError() << pass << ": @" << function.getSymName()
                                << " must take ids [batch, tokens] first";
  OpBuilder b(function.getContext());
  Dim batch = getDims(idsType)[0], tokens = getDims(idsType)[1];
  Type i64 = b.getI64Type();
  unsigned index = position.getArgNumber() + 1;
  if (failed(function.insertArgument(index, buildTensorType({batch}, i64),
                                     b.getDictionaryAttr({b.getNamedAttr(
                                         "llmc.name", b.getStringAttr(name))}),
                                     function.getLoc())))
    return failure();
  Value positions = function.getArgument(index);

  // positions[b] + t, built once where the positions are first read.
  b.setInsertionPointToStart(&function.getBody().front());
  Location loc = function.getLoc();
  Value column = ReshapeOp::create(
      b, loc, buildTensorType({batch, Dim::fixed(1)}, i64), positions);
  Value iota = IotaOp::create(b, loc, buildTensorType({tokens}, i64));
  Value row = ReshapeOp::create(
      b, loc, buildTensorType({Dim::fixed(1), tokens}, i64), iota);
  Value rows =
      AddOp::create(b, loc, buildTensorType({batch, tokens}, i64), column, row);

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
      if (failed(usePerSequence(add, rows, pass)))
        return failure();
      add.erase();
      if (shiftedIota->use_empty())
        shiftedIota.erase();
      continue;
    }
    return user->emitError()
           << pass << ": " << user->getName() << " reads the decode position; @"
           << function.getSymName() << " has one per sequence";
  }
  return function.eraseArgument(position.getArgNumber());
}
