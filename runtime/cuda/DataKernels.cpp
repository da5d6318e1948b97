//===- DataKernels.cpp - generated, integer and data-movement kernels -----===//

#include "runtime/cuda/CudaKernels.h"

#include "kernels/cuda/Transformer.h"
#include "runtime/cuda/CudaContext.h"
#include "runtime/exec/Broadcast.h"
#include "runtime/exec/Window.h"
#include "runtime/format/ElementwiseProgram.h"

#include <algorithm>
#include <vector>

namespace llmc::runtime::cuda {

namespace kc = llmc::kernels::cuda;

namespace {

/// Copies `window` of `in` into `out` (contiguous).
Status copyWindow(KernelContext &c, const Tensor &in, const Window &window,
                  uint8_t *out) {
  if (in.rank() > kc::kMaxRank)
    return Status::error("rank " + std::to_string(in.rank()) +
                         " is above the CUDA copy's " +
                         std::to_string(kc::kMaxRank));
  kc::StridedCopy copy = {};
  copy.rank = static_cast<int>(in.rank());
  int64_t stride = 1;
  for (int d = copy.rank - 1; d >= 0; --d) {
    copy.extents[d] = window.shape[d];
    copy.strides[d] = window.strides[d] * stride;
    copy.offset += window.offsets[d] * stride;
    stride *= in.shape[d];
  }
  return launched(
      kc::stridedCopy(in.data, out, dtypeBytes(in.dtype), copy, c.cuda->stream),
      "a strided copy");
}

} // namespace

Status fusedElementwise(KernelContext &c) {
  LLMC_PARAM(outlined, c.params.has("cuda_kernel"));
  if (!outlined)
    return Status::error("fused_elementwise has no cuda_kernel (the artifact "
                         "was not compiled for CUDA)");
  LLMC_PARAM(index, c.params.integer("cuda_kernel"));
  Expected<cudaKernel_t> kernel = c.cuda->generatedKernel(index);
  if (!kernel)
    return kernel.status();
  const Tensor *full = nullptr;
  for (const Tensor *input : c.inputs) {
    if (!input)
      return Status::error("fused_elementwise lacks an operand");
    if (input->elements() != 1 && !full)
      full = input;
  }
  Shape shape = full ? full->shape : c.declared[0];
  for (int64_t &extent : shape)
    if (extent < 0)
      extent = 1;
  for (const Tensor *input : c.inputs)
    if (input->elements() != 1 && input->shape != shape)
      return Status::error("fused_elementwise operands " +
                           shapeString(input->shape) + " and " +
                           shapeString(shape) + " differ");
  LLMC_CHECK(c.setOutput(0, shape));
  long long n = elementCount(shape);
  if (n == 0)
    return Status::success();
  std::vector<void *> pointers;
  for (const Tensor *input : c.inputs)
    pointers.push_back(input->data);
  pointers.push_back(c.outputs[0]->data);
  std::vector<void *> arguments;
  for (void *&pointer : pointers)
    arguments.push_back(&pointer);
  arguments.push_back(&n);
  int64_t blocks = std::min<int64_t>((n + format::kCudaFusedBlockSize - 1) /
                                         format::kCudaFusedBlockSize,
                                     int64_t(c.cuda->multiprocessors) * 8);
  return launched(cudaLaunchKernel(reinterpret_cast<const void *>(*kernel),
                                   dim3(static_cast<unsigned>(blocks)),
                                   dim3(format::kCudaFusedBlockSize),
                                   arguments.data(), 0, c.cuda->stream),
                  "a generated kernel");
}

Status add(KernelContext &c) {
  LLMC_INPUT(a, 0, DType::i64);
  LLMC_INPUT(b, 1, DType::i64);
  bool scalar = b.elements() == 1;
  if (!scalar && a.shape != b.shape)
    return Status::error("add on CUDA takes i64 operands of one shape, or a "
                         "single second operand, not " +
                         shapeString(a.shape) + " and " + shapeString(b.shape));
  LLMC_CHECK(c.setOutput(0, a.shape));
  return launched(kc::addIntegers(a.as<int64_t>(), b.as<int64_t>(), scalar,
                                  c.outputs[0]->as<int64_t>(), a.elements(),
                                  c.cuda->stream),
                  "add");
}

Status iota(KernelContext &c) {
  const Shape &declared = c.declared[0];
  if (declared.size() != 1 || declared[0] < 0)
    return Status::error("iota needs a known length");
  if (c.outputs[0]->dtype != DType::i64)
    return Status::error("iota on CUDA yields i64");
  LLMC_CHECK(c.setOutput(0, declared));
  return launched(
      kc::iota(c.outputs[0]->as<int64_t>(), declared[0], 0, c.cuda->stream),
      "iota");
}

Status expand(KernelContext &c) {
  if (c.declared[0].size() > static_cast<size_t>(kc::kMaxRank))
    return Status::error("rank " + std::to_string(c.declared[0].size()) +
                         " is above the CUDA copy's " +
                         std::to_string(kc::kMaxRank));
  LLMC_PARAM(strides, startExpand(c));
  const Tensor &in = *c.inputs[0];
  const Shape &shape = c.outputs[0]->shape;
  if (elementCount(shape) == 0)
    return Status::success();
  kc::StridedCopy copy = {};
  copy.rank = static_cast<int>(shape.size());
  for (int d = 0; d < copy.rank; ++d) {
    copy.extents[d] = shape[d];
    copy.strides[d] = strides[d];
  }
  return launched(kc::stridedCopy(in.data, c.outputs[0]->data,
                                  dtypeBytes(in.dtype), copy, c.cuda->stream),
                  "expand");
}

Status slice(KernelContext &c) {
  return copyWindows(c, false,
                     [&](const Tensor &in, const Window &window, uint8_t *out) {
                       return copyWindow(c, in, window, out);
                     });
}

Status split(KernelContext &c) {
  return copyWindows(c, true,
                     [&](const Tensor &in, const Window &window, uint8_t *out) {
                       return copyWindow(c, in, window, out);
                     });
}

} // namespace llmc::runtime::cuda
