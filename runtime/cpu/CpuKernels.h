//===- CpuKernels.h - the CPU device's kernels of the plan ----------------===//
//
// Each adapts one plan kernel (docs/plan.md) to kernels/cpu: checks its
// operands, sets its outputs' shapes and computes, splitting the work over
// the thread pool.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CPU_CPUKERNELS_H
#define LLMC_RUNTIME_CPU_CPUKERNELS_H

#include "runtime/exec/Broadcast.h"
#include "runtime/exec/Kernel.h"
#include "runtime/format/ElementwiseProgram.h"

#include <array>

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
/// Linears of one input (plan-fuse-sibling-linears): the input, n weights,
/// optionally n biases; n results, their features split over the pool
/// together.
Status linears(KernelContext &c);
Status gatedMlp(KernelContext &c);
Status mlp(KernelContext &c);
Status rope(KernelContext &c);
Status cachedAttention(KernelContext &c);

// Primitive ops (ElementwiseKernels.cpp, ReductionKernels.cpp,
// DataMovementKernels.cpp).
Status binary(KernelContext &c, format::ElementwiseOpcode op);
Status unary(KernelContext &c, format::ElementwiseOpcode op);
Status compare(KernelContext &c);
Status select(KernelContext &c);
Status cast(KernelContext &c);
/// A program of f32 elementwise ops (plan-fuse-elementwise).
Status fusedElementwise(KernelContext &c);
Status expand(KernelContext &c);
Status iota(KernelContext &c);
Status range(KernelContext &c);
Status matmul(KernelContext &c);
Status reduce(KernelContext &c, int op);
Status softmax(KernelContext &c);
Status cumsum(KernelContext &c);
Status slice(KernelContext &c);
Status split(KernelContext &c);
Status concat(KernelContext &c);
Status transpose(KernelContext &c);
Status gather(KernelContext &c);
Status gatherNd(KernelContext &c);
Status scatterNd(KernelContext &c);
Status trilu(KernelContext &c);
Status shapeOf(KernelContext &c);

/// The reductions `reduce` computes.
enum ReduceOp { sum, mean, maximum };

/// Calls body(T{}) with T the C++ type of `dtype` (bool as uint8_t); f16
/// and bf16 (which the CPU target computes in f32) are an error.
template <typename Body> Status dispatch(DType dtype, Body &&body) {
  switch (dtype) {
  case DType::f32:
    return body(float{});
  case DType::i64:
    return body(int64_t{});
  case DType::i32:
    return body(int32_t{});
  case DType::i8:
    return body(int8_t{});
  case DType::u8:
  case DType::boolean:
    return body(uint8_t{});
  default:
    return Status::error(std::string("no CPU kernel for ") + dtypeName(dtype));
  }
}

/// The value of integer tensor `t` at `i` (i64 or i32).
inline int64_t indexAt(const Tensor &t, int64_t i) {
  return t.dtype == DType::i64 ? t.as<int64_t>()[i] : t.as<int32_t>()[i];
}

/// Calls body(i, at) for every element i of `shape` in row-major order,
/// where at[k] is the element offset in operand k, which advances by
/// strides[k][d] along axis d (0 where it is broadcast).
template <size_t N, typename Body>
void forEachElement(const Shape &shape,
                    const std::array<std::vector<int64_t>, N> &strides,
                    Body &&body) {
  int64_t n = elementCount(shape);
  std::vector<int64_t> index(shape.size(), 0);
  std::array<int64_t, N> at{};
  for (int64_t i = 0; i < n; ++i) {
    body(i, at);
    for (size_t d = shape.size(); d-- > 0;) {
      for (size_t k = 0; k < N; ++k)
        at[k] += strides[k][d];
      if (++index[d] < shape[d])
        break;
      for (size_t k = 0; k < N; ++k)
        at[k] -= strides[k][d] * shape[d];
      index[d] = 0;
    }
  }
}

} // namespace llmc::runtime::cpu

#endif // LLMC_RUNTIME_CPU_CPUKERNELS_H
