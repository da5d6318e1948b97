//===- CpuKernels.h - the CPU device's kernels of the plan ----------------===//
//
// Each adapts one plan kernel (docs/plan.md) to kernels/cpu: checks its
// operands, sets its outputs' shapes and computes, splitting the work over
// the thread pool.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CPU_CPUKERNELS_H
#define LLMC_RUNTIME_CPU_CPUKERNELS_H

#include "runtime/exec/Kernel.h"

// `name` = input `index` of `dtype`, or return its error.
#define LLMC_INPUT(name, index, dtype)                                         \
  auto name##OrError = c.input(index, dtype);                                  \
  if (!name##OrError)                                                          \
    return name##OrError.status();                                             \
  const Tensor &name = **name##OrError;

#define LLMC_CHECK(status)                                                     \
  if (Status llmcStatus = (status); !llmcStatus)                               \
    return llmcStatus;

namespace llmc::runtime::cpu {

// Transformer ops (TransformerKernels.cpp).
Status embedding(KernelContext &c);
Status rmsNorm(KernelContext &c);
/// Residual add fused with the normalization of its sum (plan-fuse-add-norm):
/// outputs the sum and its normalization.
Status addRmsNorm(KernelContext &c);
Status addLayerNorm(KernelContext &c);
Status layerNorm(KernelContext &c);
Status linear(KernelContext &c);
Status lmHead(KernelContext &c);
Status gatedMlp(KernelContext &c);
Status mlp(KernelContext &c);
Status rope(KernelContext &c);
Status cachedAttention(KernelContext &c);

// Primitive ops (ElementwiseKernels.cpp, DataMovementKernels.cpp).
Status binary(KernelContext &c, int op);
Status expand(KernelContext &c);
Status iota(KernelContext &c);
Status slice(KernelContext &c);
Status split(KernelContext &c);

/// The binary ops `binary` computes.
enum BinaryOp { add, sub, mul, div, pow, max, min };

} // namespace llmc::runtime::cpu

#endif // LLMC_RUNTIME_CPU_CPUKERNELS_H
