//===- ConstantData.h - the bytes behind a tensor constant ----------------===//
//
// Weights are dense literals (small) or dense_resource blobs (large); folders
// and raising patterns that read weights go through this one accessor.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECTS_LLMC_IR_CONSTANTDATA_H
#define LLMC_DIALECTS_LLMC_IR_CONSTANTDATA_H

#include "mlir/IR/BuiltinAttributes.h"

#include <optional>
#include <vector>

namespace llmc {

/// The elements of a dense literal (other than i1, which is bit-packed) or of
/// a dense_resource blob, row-major; nothing for other attributes.
std::optional<llvm::ArrayRef<char>> getRawConstantData(mlir::Attribute value);

/// The elements of a float constant (f32, f16 or bf16: a dense literal,
/// splat or not, or a dense_resource blob) as f32; nothing for others.
std::optional<std::vector<float>> getFloatConstantData(mlir::Attribute value);

/// A dense_resource attribute of `type` named `name` (made unique by MLIR
/// if taken) that holds a copy of `bytes`, the elements' storage, aligned
/// to `alignment`.
mlir::DenseResourceElementsAttr
makeResourceAttr(mlir::ShapedType type, llvm::StringRef name,
                 llvm::ArrayRef<char> bytes, size_t alignment = alignof(float));

} // namespace llmc

#endif // LLMC_DIALECTS_LLMC_IR_CONSTANTDATA_H
