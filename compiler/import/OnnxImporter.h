//===- OnnxImporter.h - ONNX model to llmc primitive ops ------------------===//
//
// The entry of the compiler: translates an ONNX graph node by node into llmc
// primitive ops in one function, @main. Shape arithmetic is kept as
// shape-computation ops for llmc-fold-shapes; nothing is raised here.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_IMPORT_ONNXIMPORTER_H
#define LLMC_COMPILER_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>

namespace llmc {

struct OnnxImportOptions {
  /// Initializers with at most this many elements become dense literals
  /// (folders read them); larger ones become dense_resource blobs.
  int64_t inlineElementLimit = 64;
};

/// What an import found, for the one-screen summary.
struct OnnxImportSummary {
  int64_t irVersion = 0;
  int64_t opsetVersion = 0;
  std::string producer;
  std::map<std::string, int64_t> nodesByOpType;
  int64_t nodeCount = 0;
  int64_t parameters = 0;
  int64_t weightBytes = 0;
};

/// Imports the model at `path`. Errors are emitted as MLIR diagnostics whose
/// locations name the file and, for node errors, the node.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxFile(mlir::MLIRContext &context, llvm::StringRef path,
               const OnnxImportOptions &options,
               OnnxImportSummary *summary = nullptr);

} // namespace llmc

#endif // LLMC_COMPILER_IMPORT_ONNXIMPORTER_H
