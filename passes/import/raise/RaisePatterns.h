//===- RaisePatterns.h - pattern families of llmc-raise -------------------===//
//
// Each family of exporter forms lives in its own file and adds its patterns
// here; the pass (Raise.cpp) applies them all together.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_IMPORT_RAISE_RAISEPATTERNS_H
#define LLMC_PASSES_IMPORT_RAISE_RAISEPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace llmc {

/// The attribute a raising pattern leaves on the heart of a transformer
/// block it recognised but could not raise (an attention's Softmax), saying
/// why; llmc-check-raised reports it when the block stays unraised.
inline constexpr llvm::StringLiteral kUnraisedAttrName = "llmc.unraised";

/// Records `why` on `op`: success when that changed the op, else a match
/// failure with the reason.
mlir::LogicalResult recordUnraised(mlir::PatternRewriter &rewriter,
                                   mlir::Operation *op, const llvm::Twine &why);

void populateRaiseActivationPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseNormalizationPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseProjectionPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseMlpPatterns(mlir::RewritePatternSet &patterns);
/// `maxPositions`: the longest sequence the compiled model serves; masks
/// are proven for every length up to it.
void populateRaiseAttentionPatterns(mlir::RewritePatternSet &patterns,
                                    int64_t maxPositions);
/// `tablePositions`: rows of the cos/sin tables made for RoPE computed from
/// positions at run time.
void populateRaiseRopePatterns(mlir::RewritePatternSet &patterns,
                               int64_t tablePositions);

} // namespace llmc

#endif // LLMC_PASSES_IMPORT_RAISE_RAISEPATTERNS_H
