//===- EntrySymbols.h - how an entry point's symbolic extents are bound ---===//
//
// The runtime learns `batch`, `sequence` and `past` from the arguments of
// each call: an extent of an argument's shape, or the value of the 0-D
// position argument. Memory planning sizes every buffer for the largest
// values these may take (max batch, max sequence), and the artifact records
// the same bindings for the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_LOWERING_ENTRYSYMBOLS_H
#define LLMC_PASSES_LOWERING_ENTRYSYMBOLS_H

#include "dialects/llmc/IR/SymbolicShape.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace llmc {

struct SymbolBinding {
  std::string name;
  int64_t argument = 0;
  /// The axis of the argument's shape, or -1 for the argument's value.
  int64_t axis = -1;
  /// The largest value the symbol takes.
  int64_t bound = 0;
};

/// The symbols of `entry`'s argument types (named extents; the position
/// argument binds `past`). Leading extents are bounded by `maxBatch`, the
/// others and the position by `maxSeq`; an argument's second extent also
/// by its `llmc.max_tokens` (@verify's ids); a paged cache's `kv_blocks`
/// only by i32.
llvm::SmallVector<SymbolBinding>
bindEntrySymbols(mlir::func::FuncOp entry, int64_t maxBatch, int64_t maxSeq);

/// The symbols a named extent adds up ("past + sequence" is two).
llvm::SmallVector<llvm::StringRef> symbolTerms(llvm::StringRef name);

/// The largest bytes a value of `type` takes, or failure (reported at `loc`)
/// when an extent is unknown or names a symbol no argument binds.
mlir::FailureOr<int64_t> boundBytes(mlir::Type type,
                                    llvm::ArrayRef<SymbolBinding> symbols,
                                    mlir::Location loc);

/// The largest extents of `type` (a tensor, or a quantized weight's
/// [out, in]), or failure as boundBytes.
mlir::FailureOr<llvm::SmallVector<int64_t>>
boundShape(mlir::Type type, llvm::ArrayRef<SymbolBinding> symbols,
           mlir::Location loc);

/// Bytes of one element (i1 takes a byte).
int64_t elementBytes(mlir::Type elementType);

} // namespace llmc

#endif // LLMC_PASSES_LOWERING_ENTRYSYMBOLS_H
