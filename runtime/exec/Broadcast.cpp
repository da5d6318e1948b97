//===- Broadcast.cpp - numpy broadcasting of shapes -----------------------===//

#include "runtime/exec/Broadcast.h"

#include <algorithm>

namespace llmc::runtime {

Expected<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return Status::error("shapes " + shapeString(a) + " and " +
                           shapeString(b) + " do not broadcast");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const Shape &shape, const Shape &out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    size_t axis = i + (out.size() - shape.size());
    strides[axis] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

Expected<std::vector<int64_t>> expandStrides(const Shape &in,
                                             const Shape &out) {
  for (int64_t extent : out)
    if (extent < 0)
      return Status::error("expand needs a known result shape");
  Expected<Shape> joined = broadcastShapes(in, out);
  if (!joined || *joined != out)
    return Status::error("cannot expand " + shapeString(in) + " to " +
                         shapeString(out));
  return broadcastStrides(in, out);
}

Expected<std::vector<int64_t>> startExpand(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("expand takes one operand");
  const Shape &shape = c.declared[0];
  LLMC_PARAM(strides, expandStrides(c.inputs[0]->shape, shape));
  LLMC_CHECK(c.setOutput(0, shape));
  return strides;
}

} // namespace llmc::runtime
