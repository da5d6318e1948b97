//===- EmitCudaSource.h - the plan's fused regions as CUDA C++ ------------===//
//
// For `llmc compile --target cuda:...`: after plan-outline-cuda-kernels has
// numbered the fused_elementwise calls, this writes one CUDA C++
// translation unit holding a kernel per number, which compileFatbin
// (CompileFatbin.h) turns into the artifact's "cuda fatbin" section.
// `llmc-translate --plan-to-cuda` prints it for lit tests.
//
// Calling convention of a generated kernel (what runtime/cuda launches):
//
//   extern "C" __global__ void llmc_fused_<N>(const T0 *in0, ...,
//                                            const Tk *ink, R *out,
//                                            long long n)
//
// one pointer per operand of the call in order (a single-element operand
// is read at [0], the others at [i]), then the result and its element
// count. Any one-dimensional grid works: each thread strides over the
// elements; blocks of format::kCudaFusedBlockSize threads are what it is
// tuned for (runtime/format/ElementwiseProgram.h).
// Arithmetic is f32 (kernels/common/ElementwiseMath.h) whatever the
// storage type (f32, f16, bf16).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_CODEGEN_CUDA_EMITCUDASOURCE_H
#define LLMC_PASSES_CODEGEN_CUDA_EMITCUDASOURCE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace llmc::codegen::cuda {

/// The number of generated kernels `module` calls (distinct cuda_kernel
/// indices of its fused_elementwise calls).
int64_t countGeneratedKernels(mlir::ModuleOp module);

/// Writes the CUDA C++ of every fused_elementwise call of `module`; a call
/// without `cuda_kernel`, or with a program it cannot translate, is an
/// error at that call.
mlir::LogicalResult emitCudaSource(mlir::ModuleOp module,
                                   llvm::raw_ostream &os);

} // namespace llmc::codegen::cuda

#endif // LLMC_PASSES_CODEGEN_CUDA_EMITCUDASOURCE_H
