//===- RaisePatterns.h - pattern families of llmc-raise -------------------===//
//
// Each family of exporter forms lives in its own file and adds its patterns
// here; the pass (RaiseTransformerOps.cpp) applies them all together.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_IMPORT_RAISE_RAISEPATTERNS_H
#define LLMC_PASSES_IMPORT_RAISE_RAISEPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace llmc {

void populateRaiseActivationPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseNormalizationPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseProjectionPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseMlpPatterns(mlir::RewritePatternSet &patterns);
void populateRaiseAttentionPatterns(mlir::RewritePatternSet &patterns);
/// `tablePositions`: rows of the cos/sin tables made for RoPE computed from
/// positions at run time.
void populateRaiseRopePatterns(mlir::RewritePatternSet &patterns,
                               int64_t tablePositions);

} // namespace llmc

#endif // LLMC_PASSES_IMPORT_RAISE_RAISEPATTERNS_H
