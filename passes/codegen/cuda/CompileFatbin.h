//===- CompileFatbin.h - generated CUDA C++ to a multi-architecture fatbin ===//
//
// `llmc compile --target cuda:sm_80,sm_90` compiles the generated source
// (EmitCudaSource.h) with nvcc into one fatbin: machine code for every
// architecture asked for, plus the PTX of the newest so that the driver
// can compile it for GPUs newer than any of them. The fatbin becomes the
// artifact's "cuda fatbin" section.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_CODEGEN_CUDA_COMPILEFATBIN_H
#define LLMC_PASSES_CODEGEN_CUDA_COMPILEFATBIN_H

#include "mlir/IR/Location.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace llmc::codegen::cuda {

/// The nvcc to run: `requested` if given (it must exist), else nvcc on the
/// PATH, else /usr/local/cuda/bin/nvcc; failure (reported at `loc`) says
/// what was searched.
mlir::FailureOr<std::string> findNvcc(llvm::StringRef requested,
                                      mlir::Location loc);

/// The fatbin of `source` for `archs` (compute capabilities, 90 = sm_90);
/// nvcc's own messages are in the error reported at `loc`.
mlir::FailureOr<std::string> compileFatbin(llvm::StringRef source,
                                           llvm::ArrayRef<int> archs,
                                           llvm::StringRef nvcc,
                                           mlir::Location loc);

} // namespace llmc::codegen::cuda

#endif // LLMC_PASSES_CODEGEN_CUDA_COMPILEFATBIN_H
