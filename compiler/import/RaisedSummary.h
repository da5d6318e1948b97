//===- RaisedSummary.h - what an imported model was raised to -------------===//
//
// The part of llmc-import's summary that tells a user what llmc understood
// of the model: transformer ops with their key parameters, and the
// primitive ops nothing raised.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_IMPORT_RAISEDSUMMARY_H
#define LLMC_COMPILER_IMPORT_RAISEDSUMMARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace llmc {

/// Lines such as "5 x attention (8 q heads, 4 kv heads, causal, rope
/// interleaved)" and "left primitive: 10 reshape, 10 add".
void printRaisedSummary(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace llmc

#endif // LLMC_COMPILER_IMPORT_RAISEDSUMMARY_H
