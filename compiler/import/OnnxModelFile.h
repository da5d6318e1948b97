//===- OnnxModelFile.h - an ONNX model and its external data on disk ------===//
//
// Parses the ModelProto (protobuf, from the ONNX schema) and gives safe access
// to external tensor data: paths stay inside the model's folder, ranges
// inside their file, and the bytes are mmapped rather than copied.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_IMPORT_ONNXMODELFILE_H
#define LLMC_COMPILER_IMPORT_ONNXMODELFILE_H

#include "mlir/IR/Location.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/onnx_pb.h>

#include <memory>

namespace llmc::onnx_import {

class OnnxModelFile : public std::enable_shared_from_this<OnnxModelFile> {
public:
  /// Reads and parses `path`; on failure reports an error at `loc` (naming
  /// the file and the problem) and returns null.
  static std::shared_ptr<OnnxModelFile> open(llvm::StringRef path,
                                             mlir::Location loc);

  const onnx::ModelProto &getModel() const { return model; }
  llvm::StringRef getPath() const { return path; }

  /// The bytes of an EXTERNAL tensor, mapped from its file. Reports at
  /// `loc` and fails for paths that leave the model's folder, missing files,
  /// and ranges beyond the file.
  mlir::FailureOr<llvm::ArrayRef<char>>
  getExternalData(const onnx::TensorProto &tensor, mlir::Location loc);

private:
  OnnxModelFile() = default;

  std::string path;
  std::string directory;
  onnx::ModelProto model;
  /// Mapped external data files, by their path relative to `directory`.
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
};

} // namespace llmc::onnx_import

#endif // LLMC_COMPILER_IMPORT_ONNXMODELFILE_H
