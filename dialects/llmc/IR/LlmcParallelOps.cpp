//===- LlmcParallelOps.cpp - verifiers of the communication ops -----------===//

#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;
using namespace llmc;

static LogicalResult verifyRanks(Operation *op, int64_t ranks) {
  if (ranks < 2)
    return op->emitOpError("communicates among at least 2 ranks, got ")
           << ranks;
  return success();
}

LogicalResult AllReduceOp::verify() { return verifyRanks(*this, getRanks()); }

LogicalResult AllGatherOp::verify() {
  if (failed(verifyRanks(*this, getRanks())))
    return failure();
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (input.getElementType() != result.getElementType() ||
      input.getRank() != result.getRank())
    return emitOpError("result must have the input's element type and rank");
  const int64_t axis = getAxis();
  if (axis < 0 || axis >= input.getRank())
    return emitOpError("axis ") << axis << " is outside the input's "
                                << input.getRank() << " dimensions";
  DimList in = getDims(input), out = getDims(result);
  for (int64_t d = 0; d < input.getRank(); ++d) {
    if (d != axis) {
      if (!dimsAgree(in[d], out[d]))
        return emitOpError("dimension ")
               << d << " must be the input's " << in[d] << ", got " << out[d];
      continue;
    }
    // The joined extent: ranks times a static one; a symbolic one stays
    // unknown (no name means ranks times another).
    Dim joined = in[d].isStatic() ? Dim::fixed(in[d].getSize() * getRanks())
                                  : Dim::unknown();
    if (!(out[d] == joined || (joined.isUnknown() && !out[d].isStatic())))
      return emitOpError("dimension ") << axis << " joins " << getRanks()
                                       << " x " << in[d] << ", got " << out[d];
  }
  return success();
}

static LogicalResult verifyStage(Operation *op, int64_t stage) {
  if (stage < 0)
    return op->emitOpError("stage must be at least 0, got ") << stage;
  return success();
}

LogicalResult SendOp::verify() { return verifyStage(*this, getStage()); }

LogicalResult RecvOp::verify() { return verifyStage(*this, getStage()); }
