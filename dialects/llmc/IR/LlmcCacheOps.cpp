//===- LlmcCacheOps.cpp - verifiers of the KV-cache ops -------------------===//

#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;
using namespace llmc;

/// A 0-D i64 position prints as its operand alone, one per sequence with
/// its type in parentheses.
ParseResult llmc::parsePosition(OpAsmParser &parser,
                                OpAsmParser::UnresolvedOperand &position,
                                Type &type) {
  if (parser.parseOperand(position))
    return failure();
  type = RankedTensorType::get({}, parser.getBuilder().getI64Type());
  if (succeeded(parser.parseOptionalLParen()))
    return failure(parser.parseType(type) || parser.parseRParen());
  return success();
}

void llmc::printPosition(OpAsmPrinter &printer, Operation *, Value position,
                         Type type) {
  printer << position;
  if (cast<RankedTensorType>(type).getRank() != 0)
    printer << " (" << type << ")";
}

/// Checks a [layers, 2, batch, kv_heads, slots, head_dim] cache, a layer
/// in it, and a [batch, tokens, kv_heads, head_dim] tensor against it: its
/// kv heads from `headOffset` on.
static LogicalResult verifyCacheAccess(Operation *op, Value cache,
                                       int64_t layer,
                                       std::optional<ArrayRef<int64_t>> ring,
                                       std::optional<int64_t> headOffset,
                                       Value position, Value tokens,
                                       StringRef what) {
  auto cacheType = cast<RankedTensorType>(cache.getType());
  if (cacheType.getRank() != 6 || cacheType.getDimSize(1) != 2)
    return op->emitOpError("expects a [layers, 2, batch, kv_heads, slots, "
                           "head_dim] cache, got ")
           << cacheType;
  DimList cacheDims = getDims(cacheType);
  auto positionType = cast<RankedTensorType>(position.getType());
  if (positionType.getRank() == 1 &&
      !dimsAgree(getDims(positionType)[0], cacheDims[2]))
    return op->emitOpError("one position per sequence needs the cache's ")
           << cacheDims[2] << " sequences, got " << positionType;
  if (cacheDims[0].isStatic() && (layer < 0 || layer >= cacheDims[0].getSize()))
    return op->emitOpError("layer ")
           << layer << " is outside the cache's " << cacheDims[0] << " layers";
  if (ring) {
    if (ring->size() != 2 || (*ring)[0] < 0 || (*ring)[1] < 1 ||
        (cacheDims[4].isStatic() &&
         (*ring)[0] + (*ring)[1] > cacheDims[4].getSize()))
      return op->emitOpError("ring must be [offset, slots] within the ")
             << cacheDims[4] << " slots of a layer";
  }
  auto type = cast<RankedTensorType>(tokens.getType());
  if (type.getRank() != 4 ||
      type.getElementType() != cacheType.getElementType())
    return op->emitOpError() << what << " must be a 4-D [batch, tokens, "
                             << "kv_heads, head_dim] tensor of "
                             << cacheType.getElementType() << ", got " << type;
  DimList dims = getDims(type);
  const int64_t firstHead = headOffset.value_or(0);
  if (firstHead < 0 || (dims[2].isStatic() && cacheDims[3].isStatic() &&
                        firstHead + dims[2].getSize() > cacheDims[3].getSize()))
    return op->emitOpError()
           << what << " " << type << " from kv head " << firstHead
           << " does not fit the cache's " << cacheDims[3] << " kv heads";
  if (!dimsAgree(dims[0], cacheDims[2]) ||
      (!headOffset && !dimsAgree(dims[2], cacheDims[3])) ||
      !dimsAgree(dims[3], cacheDims[5]))
    return op->emitOpError()
           << what << " " << type << " does not fit the cache " << cacheType;
  return success();
}

LogicalResult KvCacheReadOp::verify() {
  if (getKeys().getType() != getValues().getType())
    return emitOpError("keys and values must have one type");
  return verifyCacheAccess(*this, getCache(), getLayer(), getRing(),
                           getHeadOffset(), getPosition(), getKeys(), "keys");
}

LogicalResult KvCacheWriteOp::verify() {
  if (getKey().getType() != getValue().getType())
    return emitOpError("key and value must have one type");
  return verifyCacheAccess(*this, getCache(), getLayer(), getRing(),
                           getHeadOffset(), getPosition(), getKey(), "key");
}
