//===- CudaKernels.h - the CUDA device's kernels of the plan --------------===//
//
// Each adapts one plan kernel (docs/plan.md) to kernels/cuda, cuBLASLt or
// a generated kernel: checks its operands as the CPU kernel does, sets its
// outputs' shapes and enqueues the work on the device's stream. Tensors
// hold device pointers; values only the device knows (token ids,
// positions) are read there.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CUDA_CUDAKERNELS_H
#define LLMC_RUNTIME_CUDA_CUDAKERNELS_H

#include "runtime/exec/Kernel.h"

namespace llmc::runtime {

/// The CUDA device's kernels (runtime/cuda/KernelTable.cpp).
const std::vector<KernelEntry> &cudaKernelTable();
/// The CUDA kernel called `name`, or null.
KernelFn findCudaKernel(const std::string &name);

namespace cuda {

// TransformerKernels.cpp
Status embedding(KernelContext &c);
Status rmsNorm(KernelContext &c);
Status layerNorm(KernelContext &c);
Status addRmsNorm(KernelContext &c);
Status addLayerNorm(KernelContext &c);
Status linear(KernelContext &c);
Status lmHead(KernelContext &c);
Status linears(KernelContext &c);
Status gatedMlp(KernelContext &c);
Status mlp(KernelContext &c);
Status rope(KernelContext &c);
Status cachedAttention(KernelContext &c);

// DataKernels.cpp
Status fusedElementwise(KernelContext &c);
Status add(KernelContext &c);
Status expand(KernelContext &c);
Status iota(KernelContext &c);
Status slice(KernelContext &c);
Status split(KernelContext &c);

} // namespace cuda
} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CUDA_CUDAKERNELS_H
