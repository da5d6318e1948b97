//===- FuseSiblingLinears.cpp - linears of one input in one kernel call ---===//
//
// See Passes.td: plan-fuse-sibling-linears.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "llvm/ADT/MapVector.h"

namespace llmc {
#define GEN_PASS_DEF_FUSESIBLINGLINEARS
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// Whether `call` is a `linear` that may join others: float result, weight
/// and optional bias, nothing absent or planned yet.
bool fusible(plan::CallOp call) {
  if (call.getKernel() != "linear" || call.getNumResults() != 1 ||
      call.getAbsent() || call.getAliases() || call.getOffsets())
    return false;
  auto result = dyn_cast<RankedTensorType>(call.getResult(0).getType());
  return result && isa<FloatType>(result.getElementType()) &&
         (call.getArgs().size() == 2 || call.getArgs().size() == 3);
}

/// Whether `value` is available before `point`, or comes from an op without
/// operands (a constant) that can move there.
bool availableBefore(Value value, Operation *point) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() ||
      def->isBeforeInBlock(point))
    return true;
  return def->getNumOperands() == 0 && def->getNumRegions() == 0;
}

/// Replaces `group` (same input, params and operand count, in block order)
/// by one `linears` call at the first one: operands x, the weights, then
/// the biases when they have them; one result per linear.
void fuse(ArrayRef<plan::CallOp> group) {
  plan::CallOp first = group.front();
  SmallVector<Value> operands{first.getArgs()[0]};
  SmallVector<Type> types;
  SmallVector<Location> locations;
  const bool biased = first.getArgs().size() == 3;
  for (plan::CallOp call : group) {
    operands.push_back(call.getArgs()[1]);
    types.push_back(call.getResult(0).getType());
    locations.push_back(call.getLoc());
  }
  if (biased)
    for (plan::CallOp call : group)
      operands.push_back(call.getArgs()[2]);
  // Weights and biases defined between the calls are constants: they move
  // up to the fused call.
  for (Value operand : operands)
    if (Operation *def = operand.getDefiningOp();
        def && def->getBlock() == first->getBlock() &&
        first->isBeforeInBlock(def))
      def->moveBefore(first);
  OpBuilder builder(first);
  auto fused = plan::CallOp::create(builder, builder.getFusedLoc(locations),
                                    types, builder.getStringAttr("linears"),
                                    operands, first.getParams(),
                                    DenseI64ArrayAttr(), DenseI64ArrayAttr(),
                                    DenseI64ArrayAttr(), DenseI64ArrayAttr());
  for (size_t i = 0; i < group.size(); ++i) {
    plan::CallOp call = group[i];
    call.getResult(0).replaceAllUsesWith(fused.getResult(i));
    call.erase();
  }
}

struct FuseSiblingLinears
    : llmc::impl::FuseSiblingLinearsBase<FuseSiblingLinears> {
  void runOnOperation() override {
    getOperation().walk([](Block *block) {
      // Linears by input, in block order; a later one joins the group of
      // the first when its operands can be had there.
      llvm::MapVector<Value, SmallVector<plan::CallOp>> byInput;
      for (auto call : block->getOps<plan::CallOp>()) {
        if (!fusible(call))
          continue;
        SmallVector<plan::CallOp> &group = byInput[call.getArgs()[0]];
        if (!group.empty() &&
            (call.getParams() != group.front().getParams() ||
             call.getArgs().size() != group.front().getArgs().size() ||
             !llvm::all_of(call.getArgs().drop_front(), [&](Value v) {
               return availableBefore(v, group.front());
             })))
          continue;
        group.push_back(call);
      }
      for (auto &entry : byInput)
        if (entry.second.size() > 1)
          fuse(entry.second);
    });
  }
};

} // namespace
