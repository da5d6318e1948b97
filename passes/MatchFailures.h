//===- MatchFailures.h - say why rewrite patterns did not apply -----------===//
//
// Patterns give the reason they do not apply through notifyMatchFailure.
// Upstream MLIR prints those reasons with `-debug-only=greedy-rewriter`,
// which exists only in an LLVM built with assertions; Debian's LLVM 22 is
// not (`llvm-config --assertion-mode`: OFF). A pass with an `explain`
// option installs this listener in its greedy driver instead, so the
// reasons come out as remarks in every build.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_MATCHFAILURES_H
#define LLMC_PASSES_MATCHFAILURES_H

#include "mlir/IR/PatternMatch.h"

#include <string>

namespace llmc {

/// Emits each match failure reported to it as a remark at the failing op:
/// "<pass>: <pattern>'s reason".
class RemarkMatchFailures : public mlir::RewriterBase::Listener {
public:
  explicit RemarkMatchFailures(std::string pass) : pass(std::move(pass)) {}

  void notifyMatchFailure(
      mlir::Location loc,
      llvm::function_ref<void(mlir::Diagnostic &)> reasonCallback) override;

private:
  std::string pass;
};

} // namespace llmc

#endif // LLMC_PASSES_MATCHFAILURES_H
