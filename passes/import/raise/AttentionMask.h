//===- AttentionMask.h - what an exporter's attention mask computes -------===//
//
// The attention raising (Attention.cpp) peels the mask off the scores and
// must know which keys each query sees at every length the compiled model
// runs at: llmc.attention expresses causal attention, optionally limited to
// a sliding window, with keys hidden by the attention_mask input. A mask
// that cannot be proven to be one of these is refused, with the reason.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_IMPORT_RAISE_ATTENTIONMASK_H
#define LLMC_PASSES_IMPORT_RAISE_ATTENTIONMASK_H

#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace llmc {

/// What the mask on attention scores was proven to compute.
struct MaskStructure {
  /// A mask was peeled: a query sees no key after its own position.
  bool causal = false;
  /// A query at position p sees keys p - window + 1 .. p (0: keys 0 .. p).
  int64_t window = 0;
  /// The attention_mask input, when the mask also hides the keys whose
  /// entry there is 0.
  mlir::Value keyMask;
};

/// Peels the mask off `scores` (scores + mask, Where(attend, scores, fill)
/// or Where(masked, fill, scores)) and returns the scores without it, with
/// `structure` saying what it computes for every length up to
/// `maxPositions`. Scores without a mask come back unchanged. Failure, with
/// `why` saying what was found, for a mask that cannot be proven causal
/// (or windowed).
mlir::FailureOr<mlir::Value> peelMask(mlir::Value scores, int64_t maxPositions,
                                      MaskStructure &structure,
                                      std::string &why);

} // namespace llmc

#endif // LLMC_PASSES_IMPORT_RAISE_ATTENTIONMASK_H
