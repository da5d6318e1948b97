//===- ToolDiagnostics.cpp - how the compiler tools print diagnostics -----===//

#include "compiler/ToolDiagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace llmc {
namespace {

/// "file: " or "file: node 'name': " for `loc` ("<tool>: " for the file
/// when it has none).
std::string describe(Location loc, const std::string &tool) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return describe(name.getChildLoc(), tool) + "node '" +
           name.getName().str() + "': ";
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      return describe(fused.getLocations().front(), tool);
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return file.getFilename().str() + ": ";
  return tool + ": ";
}

} // namespace

std::unique_ptr<ScopedDiagnosticHandler>
printToolDiagnostics(MLIRContext &context, std::string tool) {
  return std::make_unique<ScopedDiagnosticHandler>(
      &context, [tool](Diagnostic &diag) {
        const char *severity =
            diag.getSeverity() == DiagnosticSeverity::Error     ? "error"
            : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning"
                                                                : "note";
        std::string where = describe(diag.getLocation(), tool);
        size_t file = where.find(": ") + 2;
        llvm::errs() << where.substr(0, file) << severity << ": "
                     << where.substr(file) << diag << "\n";
        for (const Diagnostic &note : diag.getNotes())
          llvm::errs() << "  note: " << note << "\n";
        return success();
      });
}

} // namespace llmc
