//===- SequencePositions.h - one decode position per sequence -------------===//
//
// llmc-kv-cache's @decode takes one position: every sequence's tokens start
// there. Entry points over sequences at different positions (@verify,
// whose sequences accepted different numbers of drafted tokens) take one
// per sequence instead; this turns the first kind into the second.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_KVCACHE_SEQUENCEPOSITIONS_H
#define LLMC_PASSES_KVCACHE_SEQUENCEPOSITIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace llmc::kvcache {

/// Replaces `function`'s 0-D position argument `position` by a [batch] i64
/// argument named `name` in its place: the KV-cache accesses read it, and
/// the sequence's positions llmc-kv-cache made (iota + position,
/// [tokens]) become rows positions[b] + t ([batch, tokens]) for every op
/// that reads them, whose result types follow. Any other reader of the
/// position is an error naming it and `pass`.
mlir::LogicalResult positionPerSequence(mlir::func::FuncOp function,
                                        mlir::BlockArgument position,
                                        llvm::StringRef name,
                                        llvm::StringRef pass);

} // namespace llmc::kvcache

#endif // LLMC_PASSES_KVCACHE_SEQUENCEPOSITIONS_H
