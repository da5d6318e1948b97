//===- AttentionShape.h - the extents of a cached attention call ----------===//
//
// q [batch, tokens, qHeads, headDim]; k and v [batch, tokens, kvHeads,
// headDim]; the KV cache [layers, 2, batch, kvHeads, capacity, headDim], of
// which the call reads and writes layer `layer`; the scores are scaled by
// `scale`. The runtime's operand checks produce it
// (runtime/exec/TransformerShapes.h) and the device kernels take it as it
// is (kernels/cuda/Transformer.h): one definition for both.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_COMMON_ATTENTIONSHAPE_H
#define LLMC_KERNELS_COMMON_ATTENTIONSHAPE_H

#include <cstdint>

namespace llmc::kernels {

struct AttentionShape {
  int64_t batch, tokens, qHeads, kvHeads, headDim, layers, capacity, layer;
  float scale;
};

} // namespace llmc::kernels

#endif // LLMC_KERNELS_COMMON_ATTENTIONSHAPE_H
