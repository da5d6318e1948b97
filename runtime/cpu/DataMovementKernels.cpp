//===- DataMovementKernels.cpp - slices and splits ------------------------===//

#include "runtime/cpu/CpuKernels.h"

#include "runtime/exec/Window.h"

#include <cstring>
#include <string>

namespace llmc::runtime::cpu {
namespace {

/// The element offset, in slices of `data`'s axes from `first + depth` on,
/// of the index tuple at `indices[at .. at + depth)` into axes `first ..
/// first + depth` (negative entries count from the end), or an error naming
/// `op` and the entry outside its axis.
Expected<int64_t> tupleOffset(const Tensor &data, int64_t first,
                              const Tensor &indices, int64_t at, int64_t depth,
                              const char *op) {
  int64_t offset = 0;
  for (int64_t q = 0; q < depth; ++q) {
    const int64_t extent = data.shape[first + q],
                  given = indexAt(indices, at + q);
    const int64_t index = given < 0 ? given + extent : given;
    if (index < 0 || index >= extent)
      return Status::error(std::string(op) + " index " + std::to_string(given) +
                           " is outside an axis of " + std::to_string(extent));
    offset = offset * extent + index;
  }
  return offset;
}

/// Copies `window` of `in` into `out` (contiguous).
Status copyWindow(const Tensor &in, const Window &window, uint8_t *out) {
  const std::vector<int64_t> &offsets = window.offsets,
                             &strides = window.strides;
  const Shape &shape = window.shape;
  int64_t rank = in.rank(), width = dtypeBytes(in.dtype);
  std::vector<int64_t> inStrides(rank, 1), step(rank);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * in.shape[d + 1];
  int64_t base = 0;
  for (int64_t d = 0; d < rank; ++d) {
    base += offsets[d] * inStrides[d];
    step[d] = strides[d] * inStrides[d];
  }
  forEachElement<1>(
      shape, {step}, [&](int64_t i, const std::array<int64_t, 1> &at) {
        std::memcpy(out + i * width, in.data + (base + at[0]) * width, width);
      });
  return Status::success();
}

} // namespace

Status slice(KernelContext &c) { return copyWindows(c, false, copyWindow); }

Status split(KernelContext &c) { return copyWindows(c, true, copyWindow); }

Status concat(KernelContext &c) {
  if (c.inputs.empty())
    return Status::error("concat takes operands");
  const Tensor &first = *c.inputs[0];
  LLMC_PARAM(axis, c.params.integer("axis"));
  if (axis < 0)
    axis += first.rank();
  if (axis < 0 || axis >= first.rank())
    return Status::error("concat axis out of range");
  Shape shape = first.shape;
  shape[axis] = 0;
  for (const Tensor *input : c.inputs) {
    if (!input || input->rank() != first.rank() || input->dtype != first.dtype)
      return Status::error("concat operands differ in rank or type");
    for (int64_t d = 0; d < first.rank(); ++d)
      if (d != axis && input->shape[d] != first.shape[d])
        return Status::error("concat of " + shapeString(first.shape) + " and " +
                             shapeString(input->shape));
    shape[axis] += input->shape[axis];
  }
  LLMC_CHECK(c.setOutput(0, shape));
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  int64_t rowBytes = c.outputs[0]->bytes() / std::max<int64_t>(outer, 1);
  for (int64_t o = 0; o < outer; ++o) {
    uint8_t *out = c.outputs[0]->data + o * rowBytes;
    for (const Tensor *input : c.inputs) {
      int64_t bytes = input->bytes() / std::max<int64_t>(outer, 1);
      std::memcpy(out, input->data + o * bytes, bytes);
      out += bytes;
    }
  }

  return Status::success();
}

Status transpose(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("transpose takes one operand");
  const Tensor &in = *c.inputs[0];
  LLMC_PARAM(permutationParam, c.params.ints("permutation"));
  const std::vector<int64_t> &permutation = *permutationParam;
  if (static_cast<int64_t>(permutation.size()) != in.rank())
    return Status::error("transpose permutation does not match rank");
  Shape shape(in.rank());
  std::vector<int64_t> inStrides(in.rank(), 1), strides(in.rank());
  for (int64_t d = in.rank() - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * in.shape[d + 1];
  for (int64_t d = 0; d < in.rank(); ++d) {
    if (permutation[d] < 0 || permutation[d] >= in.rank())
      return Status::error("transpose permutation out of range");
    shape[d] = in.shape[permutation[d]];
    strides[d] = inStrides[permutation[d]];
  }
  LLMC_CHECK(c.setOutput(0, shape));
  int64_t width = dtypeBytes(in.dtype);
  uint8_t *out = c.outputs[0]->data;
  forEachElement<1>(
      shape, {strides}, [&](int64_t i, const std::array<int64_t, 1> &at) {
        std::memcpy(out + i * width, in.data + at[0] * width, width);
      });
  return Status::success();
}

Status gather(KernelContext &c) {
  if (c.inputs.size() != 2 || !c.inputs[0] || !c.inputs[1])
    return Status::error("gather takes data and indices");
  const Tensor &data = *c.inputs[0], &indices = *c.inputs[1];
  LLMC_PARAM(axis, c.params.integer("axis"));
  if (axis < 0)
    axis += data.rank();
  if (axis < 0 || axis >= data.rank())
    return Status::error("gather axis out of range");
  Shape shape(data.shape.begin(), data.shape.begin() + axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), data.shape.begin() + axis + 1, data.shape.end());
  LLMC_CHECK(c.setOutput(0, shape));
  int64_t outer = 1, inner = dtypeBytes(data.dtype), extent = data.shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= data.shape[d];
  for (int64_t d = axis + 1; d < data.rank(); ++d)
    inner *= data.shape[d];
  int64_t count = indices.elements();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i) {
      Expected<int64_t> index =
          tupleOffset(data, axis, indices, i, 1, "gather");
      if (!index)
        return index.status();
      std::memcpy(c.outputs[0]->data + (o * count + i) * inner,
                  data.data + (o * extent + *index) * inner, inner);
    }
  return Status::success();
}

Status gatherNd(KernelContext &c) {
  if (c.inputs.size() != 2 || !c.inputs[0] || !c.inputs[1])
    return Status::error("gather_nd takes data and indices");
  const Tensor &data = *c.inputs[0], &indices = *c.inputs[1];
  LLMC_PARAM(batchDims, c.params.integer("batch_dims"));
  if (indices.rank() < 1)
    return Status::error("gather_nd indices need an axis");
  int64_t depth = indices.shape.back();
  if (batchDims < 0 || batchDims + depth > data.rank() ||
      batchDims >= indices.rank())
    return Status::error("gather_nd indices do not fit the data");
  Shape shape(indices.shape.begin(), indices.shape.end() - 1);
  shape.insert(shape.end(), data.shape.begin() + batchDims + depth,
               data.shape.end());
  LLMC_CHECK(c.setOutput(0, shape));
  int64_t batches = 1, slice = dtypeBytes(data.dtype);
  for (int64_t d = 0; d < batchDims; ++d)
    batches *= data.shape[d];
  for (int64_t d = batchDims + depth; d < data.rank(); ++d)
    slice *= data.shape[d];
  int64_t tuples = indices.elements() / std::max<int64_t>(depth, 1) /
                   std::max<int64_t>(batches, 1);
  int64_t batchBytes = data.bytes() / std::max<int64_t>(batches, 1);
  uint8_t *out = c.outputs[0]->data;
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t t = 0; t < tuples; ++t) {
      Expected<int64_t> offset =
          tupleOffset(data, batchDims, indices, (b * tuples + t) * depth, depth,
                      "gather_nd");
      if (!offset)
        return offset.status();
      std::memcpy(out, data.data + b * batchBytes + *offset * slice, slice);
      out += slice;
    }
  return Status::success();
}

Status scatterNd(KernelContext &c) {
  if (c.inputs.size() != 3 || !c.inputs[0] || !c.inputs[1] || !c.inputs[2])
    return Status::error("scatter_nd takes data, indices and updates");
  const Tensor &data = *c.inputs[0], &indices = *c.inputs[1],
               &updates = *c.inputs[2];
  if (indices.rank() < 1 || updates.dtype != data.dtype)
    return Status::error("scatter_nd indices need an axis, updates the "
                         "data's type");
  int64_t depth = indices.shape.back();
  Shape expected(indices.shape.begin(), indices.shape.end() - 1);
  if (depth < 1 || depth > data.rank())
    return Status::error("scatter_nd index depth " + std::to_string(depth) +
                         " does not fit data " + shapeString(data.shape));
  expected.insert(expected.end(), data.shape.begin() + depth, data.shape.end());
  if (updates.shape != expected)
    return Status::error("scatter_nd updates " + shapeString(updates.shape) +
                         " where " + shapeString(expected) + " fits");
  LLMC_CHECK(c.setOutput(0, data.shape));
  uint8_t *out = c.outputs[0]->data;
  if (out != data.data)
    std::memcpy(out, data.data, data.bytes());
  int64_t slice = dtypeBytes(data.dtype);
  for (int64_t d = depth; d < data.rank(); ++d)
    slice *= data.shape[d];
  int64_t tuples = indices.elements() / depth;
  for (int64_t t = 0; t < tuples; ++t) {
    Expected<int64_t> offset =
        tupleOffset(data, 0, indices, t * depth, depth, "scatter_nd");
    if (!offset)
      return offset.status();
    std::memcpy(out + *offset * slice, updates.data + t * slice, slice);
  }
  return Status::success();
}

Status trilu(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0] || c.inputs[0]->rank() < 2)
    return Status::error("trilu takes a matrix (or a batch of them)");
  const Tensor &in = *c.inputs[0];
  LLMC_CHECK(c.setOutput(0, in.shape));
  int64_t rows = in.shape[in.rank() - 2], cols = in.shape.back();
  LLMC_PARAM(k, c.params.integer("k"));
  LLMC_PARAM(upper, c.params.has("upper"));
  int64_t width = dtypeBytes(in.dtype);
  int64_t matrices = in.elements() / std::max<int64_t>(rows * cols, 1);
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        int64_t at = ((m * rows + i) * cols + j) * width;
        bool keep = upper ? j - i >= k : j - i <= k;
        if (keep)
          std::memmove(c.outputs[0]->data + at, in.data + at, width);
        else
          std::memset(c.outputs[0]->data + at, 0, width);
      }
  return Status::success();
}

Status shapeOf(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("shape_of takes one operand");
  const Tensor &in = *c.inputs[0];
  LLMC_CHECK(c.setOutput(0, {in.rank()}));
  for (int64_t d = 0; d < in.rank(); ++d)
    c.outputs[0]->as<int64_t>()[d] = in.shape[d];
  return Status::success();
}

} // namespace llmc::runtime::cpu
