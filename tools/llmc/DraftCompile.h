//===- DraftCompile.h - the draft model of llmc compile --draft -----------===//
//
// A draft model goes through the same pipeline as the target (its own KV
// cache and @verify, with the target's positions, batch, target and draft
// tokens) into a second module, which emitArtifact writes as the
// artifact's "draft plan" beside the target's:
//   PATH.onnx   imported from the file; its vocabulary and the special
//               tokens its metadata names must be the target's;
//   self:...    the target's own imported graph cut after its first N
//               layers (llmc-early-exit), then 4-bit (rtn-int4) and
//               head-pruned if asked: weights it leaves as they were are
//               the target's, stored once.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_DRAFTCOMPILE_H
#define LLMC_TOOLS_LLMC_DRAFTCOMPILE_H

#include "passes/Pipeline.h"
#include "tools/llmc/DraftSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassInstrumentation.h"

#include <vector>

namespace llmc::tool {

/// A model's special-token ids (-1 / none: unknown).
struct SpecialTokens {
  int64_t bos = -1;
  std::vector<int64_t> eos;
};

/// `module`'s (an imported model: its metadata's bos_token_id and
/// eos_token_id), each replaced by the flags' when given (bos >= 0, eos
/// not empty).
SpecialTokens specialTokensOf(mlir::ModuleOp module, int64_t bos,
                              llvm::ArrayRef<int64_t> eos);

/// Compiles the draft of `spec` (a model or self; not ngram). `imported`
/// is the target as imported (before its pipeline: self-drafts start
/// from it), `compiled` the target after it (its cache's positions and
/// vocabulary). Errors are printed; `instrument` sees the draft's passes.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
compileDraft(const DraftSpec &spec, mlir::ModuleOp imported,
             mlir::ModuleOp compiled, const CompileOptions &target,
             const SpecialTokens &tokens,
             llvm::function_ref<void(mlir::PassManager &)> instrument);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_DRAFTCOMPILE_H
