//===- TensorImport.h - ONNX TensorProto to MLIR attributes and types -----===//

#ifndef LLMC_COMPILER_IMPORT_TENSORIMPORT_H
#define LLMC_COMPILER_IMPORT_TENSORIMPORT_H

#include "compiler/import/OnnxModelFile.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

namespace llmc::onnx_import {

/// The MLIR element type of an ONNX TensorProto.DataType; reports at `loc`
/// (naming `what`) for types llmc does not support. INT4 and UINT4 are
/// only for initializers (`initializer`): quantized weights.
mlir::FailureOr<mlir::Type> importElementType(int32_t dataType,
                                              mlir::MLIRContext *context,
                                              mlir::Location loc,
                                              llvm::StringRef what,
                                              bool initializer = false);

/// The value of an initializer or Constant tensor. Tensors of at most
/// `inlineElementLimit` elements (shape constants, scalars) become dense
/// literals that folders can read; larger ones become dense_resource blobs
/// that reference the model's memory (external data stays mmapped), named
/// after the tensor, or `unnamed` when it has no name (a Constant node's
/// value: the node's output).
mlir::FailureOr<mlir::ElementsAttr>
importTensor(const std::shared_ptr<OnnxModelFile> &file,
             const onnx::TensorProto &tensor, mlir::MLIRContext *context,
             mlir::Location loc, int64_t inlineElementLimit,
             llvm::StringRef unnamed = "constant");

} // namespace llmc::onnx_import

#endif // LLMC_COMPILER_IMPORT_TENSORIMPORT_H
