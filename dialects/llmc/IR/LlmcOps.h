//===- LlmcOps.h - ops, attributes and types of the llmc dialect ----------===//
//
// The one header users of the dialect include.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECTS_LLMC_IR_LLMCOPS_H
#define LLMC_DIALECTS_LLMC_IR_LLMCOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/llmc/IR/LlmcDialect.h"
#include "dialects/llmc/IR/SymbolicShape.h"

#include "dialects/llmc/IR/LlmcEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/llmc/IR/LlmcAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/llmc/IR/LlmcTypes.h.inc"

namespace llmc {
/// The KV-cache ops' position: custom<Position> (LlmcCacheOps.cpp).
mlir::ParseResult parsePosition(mlir::OpAsmParser &parser,
                                mlir::OpAsmParser::UnresolvedOperand &position,
                                mlir::Type &type);
void printPosition(mlir::OpAsmPrinter &printer, mlir::Operation *op,
                   mlir::Value position, mlir::Type type);

/// What the parallel ops (LlmcParallelOps.td) read and write besides their
/// tensors: the link between ranks, so no two of them are reordered and
/// none is removed.
struct CommunicationResource
    : mlir::SideEffects::Resource::Base<CommunicationResource> {
  llvm::StringRef getName() final { return "Communication"; }
};
} // namespace llmc

#define GET_OP_CLASSES
#include "dialects/llmc/IR/LlmcOps.h.inc"

#endif // LLMC_DIALECTS_LLMC_IR_LLMCOPS_H
