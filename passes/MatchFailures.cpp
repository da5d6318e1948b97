//===- MatchFailures.cpp - match failures as remarks ----------------------===//

#include "passes/MatchFailures.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;

namespace llmc {

void RemarkMatchFailures::notifyMatchFailure(
    Location loc, llvm::function_ref<void(Diagnostic &)> reasonCallback) {
  Diagnostic reason(loc, DiagnosticSeverity::Remark);
  reasonCallback(reason);
  emitRemark(loc) << pass << ": " << reason.str();
}

} // namespace llmc
