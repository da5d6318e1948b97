//===- TransformerShapes.cpp - the operand checks of transformer kernels --===//

#include "runtime/exec/TransformerShapes.h"

namespace llmc::runtime {

Expected<RopeShape> ropeShape(const Tensor &x, const Tensor &cos,
                              const Tensor &sin, const Tensor &positions) {
  if (x.rank() != 4)
    return Status::error("rope's input [batch, sequence, heads, dim] must "
                         "have rank 4, has shape " +
                         shapeString(x.shape));
  if (cos.rank() != 2)
    return Status::error("a cos table must have rank 2, has shape " +
                         shapeString(cos.shape));
  RopeShape s{x.shape[0],       x.shape[1],   x.shape[2], x.shape[3],
              cos.shape[1] * 2, cos.shape[0], false};
  if (sin.shape != cos.shape || s.rotary > s.headDim)
    return Status::error("rope tables " + shapeString(cos.shape) +
                         " do not fit head_dim " + std::to_string(s.headDim));
  s.perBatch = positions.elements() == s.batch * s.tokens && s.batch > 1;
  if (positions.elements() != s.tokens && !s.perBatch)
    return Status::error("rope positions " + shapeString(positions.shape) +
                         " for " + std::to_string(s.tokens) + " tokens");
  return s;
}

Expected<AttentionShape> attentionShape(const KernelContext &c, const Tensor &q,
                                        const Tensor &k, const Tensor &v,
                                        const Tensor &cache,
                                        const Tensor &position,
                                        const Tensor *blocks) {
  if (q.rank() != 4)
    return Status::error("the query [batch, sequence, heads, dim] must have "
                         "rank 4, has shape " +
                         shapeString(q.shape));
  if (cache.rank() != 6)
    return Status::error("the KV cache must have rank 6, has shape " +
                         shapeString(cache.shape));
  if (k.rank() != 4)
    return Status::error("the keys [batch, sequence, kv_heads, dim] must "
                         "have rank 4, have shape " +
                         shapeString(k.shape));
  LLMC_PARAM(layer, c.params.integer("layer"));
  LLMC_PARAM(scale, c.params.real("scale"));
  LLMC_PARAM(causal, c.params.has("causal"));
  LLMC_PARAM(windowed, c.params.has("window"));
  LLMC_PARAM(capped, c.params.has("softcap"));
  LLMC_PARAM(ownRing, c.params.has("slot_offset"));
  LLMC_PARAM(someHeads, c.params.has("head_offset"));
  AttentionShape s{q.shape[0],     q.shape[1], q.shape[2],
                   k.shape[2],     q.shape[3], cache.shape[0],
                   cache.shape[4], layer,      static_cast<float>(scale)};
  s.cacheHeads = cache.shape[3];
  // Paged: the pool [blocks, layers, 2, heads, block tokens, head_dim] and
  // each sequence's row of the table.
  if (blocks) {
    if (blocks->dtype != DType::i32 || blocks->rank() != 2 ||
        blocks->shape[0] != s.batch || blocks->shape[1] < 1)
      return Status::error("the block table must be i32 [" +
                           std::to_string(s.batch) + ", blocks], not " +
                           std::string(dtypeName(blocks->dtype)) + " " +
                           shapeString(blocks->shape));
    if (ownRing)
      return Status::error("a paged cache has no rings (slot_offset, slots)");
    s.poolBlocks = cache.shape[0];
    s.layers = cache.shape[1];
    // int8 and fp8 codes: each block plane's last row holds its scale
    // (kernels/common/KvQuant.h).
    const bool coded = cache.dtype == DType::i8 || cache.dtype == DType::f8e4m3;
    s.blockRows = cache.shape[4];
    s.blockTokens = cache.shape[4] - (coded ? 1 : 0);
    if (coded && s.headDim < 4)
      return Status::error("an int8 or fp8 KV cache needs head_dim 4 or more "
                           "(a row holds its block's scale)");
    s.tableColumns = blocks->shape[1];
    s.capacity = s.tableColumns * s.blockTokens;
    if (s.blockTokens < 1)
      return Status::error("a pool of blocks of " +
                           std::to_string(s.blockTokens) + " tokens");
    if (cache.shape[2] != 2)
      return Status::error("the KV pool must be [blocks, layers, 2, kv_heads, "
                           "block tokens, head_dim], has shape " +
                           shapeString(cache.shape));
  }
  if (someHeads) {
    LLMC_PARAM(headOffset, c.params.integer("head_offset"));
    s.headOffset = headOffset;
  }
  // Absent: no window, no soft cap, the layer's ring is the whole plane.
  if (windowed) {
    LLMC_PARAM(window, c.params.integer("window"));
    s.window = window;
  }
  if (capped) {
    LLMC_PARAM(softcap, c.params.real("softcap"));
    s.softcap = static_cast<float>(softcap);
  }
  s.slotOffset = 0;
  s.slots = s.capacity;
  if (ownRing) {
    LLMC_PARAM(offset, c.params.integer("slot_offset"));
    LLMC_PARAM(slots, c.params.integer("slots"));
    s.slotOffset = offset;
    s.slots = slots;
  }
  if (k.shape != Shape{s.batch, s.tokens, s.kvHeads, s.headDim} ||
      v.shape != k.shape ||
      (!blocks && (cache.shape[1] != 2 || cache.shape[2] != s.batch)) ||
      cache.shape[5] != s.headDim || s.kvHeads <= 0 ||
      s.qHeads % s.kvHeads != 0)
    return Status::error("attention shapes q " + shapeString(q.shape) + ", k " +
                         shapeString(k.shape) + ", cache " +
                         shapeString(cache.shape) + " do not agree");
  if (s.headOffset < 0 || s.headOffset + s.kvHeads > s.cacheHeads)
    return Status::error(
        "the layer's kv heads " + std::to_string(s.headOffset) + ".." +
        std::to_string(s.headOffset + s.kvHeads - 1) +
        " are not in the cache's " + std::to_string(s.cacheHeads));
  if (s.layer < 0 || s.layer >= s.layers)
    return Status::error("layer " + std::to_string(s.layer) +
                         " is not in the cache");
  if (!causal)
    return Status::error("only causal attention over the cache is supported");
  if (s.window < 0 || s.softcap < 0)
    return Status::error("attention window " + std::to_string(s.window) +
                         " and softcap " + std::to_string(s.softcap) +
                         " must not be negative");
  if (s.slotOffset < 0 || s.slots < 1 || s.slotOffset + s.slots > s.capacity)
    return Status::error("the layer's slots " + std::to_string(s.slotOffset) +
                         ".." + std::to_string(s.slotOffset + s.slots - 1) +
                         " are not in the cache's " +
                         std::to_string(s.capacity));
  if (s.tokens > s.slots && !ringed(s))
    return Status::error(std::to_string(s.tokens) +
                         " tokens do not fit the cache's " +
                         std::to_string(s.slots));
  if (position.dtype != DType::i64 ||
      (position.elements() != 1 && position.shape != Shape{s.batch}))
    return Status::error("the position must be one i64 or one per sequence "
                         "([" +
                         std::to_string(s.batch) + "]), not " +
                         shapeString(position.shape));
  s.positionStride = position.rank() == 1 && s.batch > 1 ? 1 : 0;
  return s;
}

Status checkCachePositions(const AttentionShape &s, int64_t past) {
  if (past >= 0 && (past + s.tokens <= s.slots || ringed(s)))
    return Status::success();
  return Status::error("positions " + std::to_string(past) + ".." +
                       std::to_string(past + s.tokens - 1) +
                       " do not fit the cache's " + std::to_string(s.slots) +
                       (s.window > 0 ? " slots (a ring needs the window, " +
                                           std::to_string(s.window) + ")"
                                     : ""));
}

Status checkBlockTable(const AttentionShape &s, const int32_t *table, int64_t b,
                       int64_t past) {
  const int64_t used = (past + s.tokens + s.blockTokens - 1) / s.blockTokens;
  for (int64_t i = 0; i < used; ++i) {
    const int32_t block = table[b * s.tableColumns + i];
    if (block < 0 || block >= s.poolBlocks)
      return Status::error("block " + std::to_string(i) + " of sequence " +
                           std::to_string(b) + "'s table is " +
                           std::to_string(block) + ", outside the pool's " +
                           std::to_string(s.poolBlocks) + " blocks");
  }
  return Status::success();
}

Expected<bool> linearsBiased(const KernelContext &c, const Tensor &x) {
  const size_t count = c.outputs.size();
  const bool biased = c.inputs.size() == 1 + 2 * count;
  if (count == 0 || (c.inputs.size() != 1 + count && !biased))
    return Status::error("linears takes an input, one weight per result (" +
                         std::to_string(count) +
                         ") and optionally as many biases, not " +
                         std::to_string(c.inputs.size()) + " operands");
  if (x.rank() < 1)
    return Status::error("the input must have rank 1 or more");
  return biased;
}

Status checkGatedMlp(const Tensor &x, const Tensor &gate, const Tensor &up,
                     const Tensor &down) {
  int64_t hidden = gate.shape[0], dim = gate.shape[1];
  if (up.shape != gate.shape || down.shape != Shape{dim, hidden} ||
      x.rank() < 1 || x.shape.back() != dim)
    return Status::error("gated_mlp weights gate " + shapeString(gate.shape) +
                         ", up " + shapeString(up.shape) + ", down " +
                         shapeString(down.shape) + " do not fit input " +
                         shapeString(x.shape));
  return Status::success();
}

Status checkMlp(const Tensor &x, const Tensor &up, const Tensor &down,
                const Tensor *upBias, const Tensor *downBias) {
  int64_t hidden = up.shape[0], dim = up.shape[1];
  if (down.shape != Shape{dim, hidden} || x.rank() < 1 ||
      x.shape.back() != dim || (upBias && upBias->elements() != hidden) ||
      (downBias && downBias->elements() != dim))
    return Status::error("mlp weights up " + shapeString(up.shape) + ", down " +
                         shapeString(down.shape) + " do not fit input " +
                         shapeString(x.shape));
  return Status::success();
}

} // namespace llmc::runtime
