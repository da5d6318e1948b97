//===- DataMovementKernels.cpp - slices and splits ------------------------===//

#include "runtime/cpu/CpuKernels.h"

#include <cstring>

namespace llmc::runtime::cpu {
namespace {

/// Copies the window of `in` starting at `offsets` with `strides` into a
/// contiguous `shape`.
void copyWindow(const Tensor &in, const std::vector<int64_t> &offsets,
                const std::vector<int64_t> &strides, const Shape &shape,
                uint8_t *out) {
  int64_t rank = in.rank(), width = dtypeBytes(in.dtype);
  std::vector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * in.shape[d + 1];
  int64_t n = elementCount(shape);
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t source = 0;
    for (int64_t d = 0; d < rank; ++d)
      source += (offsets[d] + index[d] * strides[d]) * inStrides[d];
    std::memcpy(out + i * width, in.data + source * width, width);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

} // namespace

Status slice(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("slice takes one operand");
  const Tensor &in = *c.inputs[0];
  std::vector<int64_t> offsets = c.params.ints("offsets"),
                       strides = c.params.ints("strides");
  const Shape &shape = c.declared[0];
  if (offsets.size() != static_cast<size_t>(in.rank()) ||
      strides.size() != offsets.size() || shape.size() != offsets.size())
    return Status::error("slice offsets/strides do not match rank " +
                         std::to_string(in.rank()));
  for (size_t d = 0; d < offsets.size(); ++d) {
    if (shape[d] < 0)
      return Status::error("slice needs a known result extent");
    if (offsets[d] < 0)
      offsets[d] += in.shape[d];
    int64_t last = offsets[d] + (shape[d] - 1) * strides[d];
    if (shape[d] > 0 && (offsets[d] < 0 || offsets[d] >= in.shape[d] ||
                         last < 0 || last >= in.shape[d]))
      return Status::error("slice window leaves axis " + std::to_string(d) +
                           " of " + shapeString(in.shape));
  }
  LLMC_CHECK(c.setOutput(0, shape));
  copyWindow(in, offsets, strides, shape, c.outputs[0]->data);
  return Status::success();
}

Status split(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("split takes one operand");
  const Tensor &in = *c.inputs[0];
  int64_t axis = c.params.integer("axis", 0);
  if (axis < 0)
    axis += in.rank();
  if (axis < 0 || axis >= in.rank())
    return Status::error("split axis out of range");
  int64_t pieces = static_cast<int64_t>(c.outputs.size());
  int64_t extent = in.shape[axis], even = (extent + pieces - 1) / pieces;
  std::vector<int64_t> offsets(in.rank(), 0), strides(in.rank(), 1);
  for (int64_t i = 0; i < pieces; ++i) {
    Shape shape = in.shape;
    int64_t declared = c.declared[i][axis];
    shape[axis] =
        declared >= 0
            ? declared
            : std::max<int64_t>(0, std::min(even, extent - offsets[axis]));
    if (offsets[axis] + shape[axis] > extent)
      return Status::error("split pieces exceed axis extent " +
                           std::to_string(extent));
    LLMC_CHECK(c.setOutput(i, shape));
    copyWindow(in, offsets, strides, shape, c.outputs[i]->data);
    offsets[axis] += shape[axis];
  }
  if (offsets[axis] != extent)
    return Status::error("split pieces cover " + std::to_string(offsets[axis]) +
                         " of " + std::to_string(extent));
  return Status::success();
}

} // namespace llmc::runtime::cpu
