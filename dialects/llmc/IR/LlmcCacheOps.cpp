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
/// kv heads from `headOffset` on. With `blocks`, the cache is a pool
/// [blocks, layers, 2, kv_heads, block_tokens, head_dim] and `blocks` the
/// [batch, n] table of each sequence's: checked as the cache it stands for,
/// [layers, 2, batch, kv_heads, n x block_tokens, head_dim]. A paged
/// cache may hold its keys and values narrower than they are computed:
/// f16, bf16, or int8 or fp8 (f8E4M3FN) codes, whose planes have one more
/// row, their scale (block_tokens + 1 rows; kernels/common/KvQuant.h).
static LogicalResult verifyCacheAccess(Operation *op, Value cache,
                                       int64_t layer,
                                       std::optional<ArrayRef<int64_t>> ring,
                                       std::optional<int64_t> headOffset,
                                       Value position, Value blocks,
                                       Value tokens, StringRef what) {
  auto cacheType = cast<RankedTensorType>(cache.getType());
  DimList cacheDims = getDims(cacheType);
  Type held = cacheType.getElementType();
  const bool coded = held.isInteger(8) || isa<Float8E4M3FNType>(held);
  if (coded && !blocks)
    return op->emitOpError("an int8 or fp8 cache must be paged (a block "
                           "table): its blocks hold their scales, got ")
           << cacheType;
  if (blocks) {
    if (cacheType.getRank() != 6 || cacheType.getDimSize(2) != 2)
      return op->emitOpError("expects a pool of blocks [blocks, layers, 2, "
                             "kv_heads, block_tokens, head_dim], got ")
             << cacheType;
    if (ring)
      return op->emitOpError("a paged cache has no rings");
    DimList table = getDims(cast<RankedTensorType>(blocks.getType()));
    if (coded && cacheDims[5].isStatic() && cacheDims[5].getSize() < 4)
      return op->emitOpError("an int8 or fp8 cache needs head_dim 4 or more "
                             "(a row holds its block's scale), got ")
             << cacheType;
    const int64_t scaleRows = coded ? 1 : 0;
    Dim capacity = table[1].isStatic() && cacheDims[4].isStatic()
                       ? Dim::fixed(table[1].getSize() *
                                    (cacheDims[4].getSize() - scaleRows))
                       : Dim::unknown();
    cacheDims = {cacheDims[1], cacheDims[2], table[0],
                 cacheDims[3], capacity,     cacheDims[5]};
  } else if (cacheType.getRank() != 6 || cacheType.getDimSize(1) != 2) {
    return op->emitOpError("expects a [layers, 2, batch, kv_heads, slots, "
                           "head_dim] cache, got ")
           << cacheType;
  }
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
  const bool narrowed =
      blocks && (coded || isa<Float16Type, BFloat16Type>(held));
  if (type.getRank() != 4 || !isa<FloatType>(type.getElementType()) ||
      (type.getElementType() != held && !narrowed))
    return op->emitOpError()
           << what << " must be a 4-D [batch, tokens, "
           << "kv_heads, head_dim] tensor of " << held << ", got " << type;
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
           << what << " " << type << " does not fit the cache " << cacheType
           << (blocks ? " through its block table" : "");
  return success();
}

LogicalResult KvCacheReadOp::verify() {
  if (getKeys().getType() != getValues().getType())
    return emitOpError("keys and values must have one type");
  return verifyCacheAccess(*this, getCache(), getLayer(), getRing(),
                           getHeadOffset(), getPosition(), getBlocks(),
                           getKeys(), "keys");
}

LogicalResult KvCacheWriteOp::verify() {
  if (getKey().getType() != getValue().getType())
    return emitOpError("key and value must have one type");
  return verifyCacheAccess(*this, getCache(), getLayer(), getRing(),
                           getHeadOffset(), getPosition(), getBlocks(),
                           getKey(), "key");
}
