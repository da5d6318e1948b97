//===- ToolDiagnostics.h - how the compiler tools print diagnostics -------===//
//
// One line per diagnostic on stderr: "model.onnx: error: node 'name': ..."
// (the importer locates node diagnostics with a NameLoc around the file),
// then its notes; "<tool>: error: ..." when it has no file location.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_TOOLDIAGNOSTICS_H
#define LLMC_COMPILER_TOOLDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"

#include <memory>
#include <string>

namespace llmc {

/// Prints `context`'s diagnostics as above while the result lives.
std::unique_ptr<mlir::ScopedDiagnosticHandler>
printToolDiagnostics(mlir::MLIRContext &context, std::string tool);

} // namespace llmc

#endif // LLMC_COMPILER_TOOLDIAGNOSTICS_H
