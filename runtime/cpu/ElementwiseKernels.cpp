//===- ElementwiseKernels.cpp - broadcasting arithmetic, iota -------------===//

#include "runtime/cpu/CpuKernels.h"

#include <cmath>
#include <cstring>

namespace llmc::runtime::cpu {
namespace {

/// Numpy broadcasting of two shapes, or an error.
Expected<Shape> broadcast(const Shape &a, const Shape &b) {
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

/// Element strides of `shape` read as `out` (0 along broadcast axes).
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

template <typename T> T apply(int op, T x, T y) {
  switch (op) {
  case add:
    return x + y;
  case sub:
    return x - y;
  case mul:
    return x * y;
  case div:
    return x / y;
  case pow:
    return static_cast<T>(std::pow(x, y));
  case max:
    return x > y ? x : y;
  default:
    return x < y ? x : y;
  }
}

template <typename T>
Status binaryOf(KernelContext &c, int op, const Tensor &a, const Tensor &b) {
  Expected<Shape> shape = broadcast(a.shape, b.shape);
  if (!shape)
    return shape.status();
  if (Status status = c.setOutput(0, *shape); !status)
    return status;
  const T *x = a.as<T>(), *y = b.as<T>();
  T *out = c.outputs[0]->as<T>();
  int64_t n = elementCount(*shape);
  if constexpr (std::is_integral_v<T>)
    if (op == div)
      for (int64_t i = 0, m = b.elements(); i < m; ++i)
        if (y[i] == 0)
          return Status::error("integer division by zero");
  if (a.shape == b.shape) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = apply<T>(op, x[i], y[i]);
    return Status::success();
  }
  if (b.elements() == 1) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = apply<T>(op, x[i], y[0]);
    return Status::success();
  }
  std::vector<int64_t> sa = broadcastStrides(a.shape, *shape),
                       sb = broadcastStrides(b.shape, *shape);
  std::vector<int64_t> index(shape->size(), 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = apply<T>(op, x[ia], y[ib]);
    for (size_t d = shape->size(); d-- > 0;) {
      ia += sa[d];
      ib += sb[d];
      if (++index[d] < (*shape)[d])
        break;
      ia -= sa[d] * (*shape)[d];
      ib -= sb[d] * (*shape)[d];
      index[d] = 0;
    }
  }
  return Status::success();
}

} // namespace

Status binary(KernelContext &c, int op) {
  if (c.inputs.size() != 2 || !c.inputs[0] || !c.inputs[1])
    return Status::error("a binary op takes two operands");
  const Tensor &a = *c.inputs[0], &b = *c.inputs[1];
  if (a.dtype != b.dtype || a.dtype != c.outputs[0]->dtype)
    return Status::error(std::string("operands ") + dtypeName(a.dtype) +
                         " and " + dtypeName(b.dtype) + " differ");
  switch (a.dtype) {
  case DType::f32:
    return binaryOf<float>(c, op, a, b);
  case DType::i64:
    return binaryOf<int64_t>(c, op, a, b);
  case DType::i32:
    return binaryOf<int32_t>(c, op, a, b);
  default:
    return Status::error(std::string("no arithmetic on ") + dtypeName(a.dtype));
  }
}

Status expand(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("expand takes one operand");
  const Tensor &in = *c.inputs[0];
  const Shape &shape = c.declared[0];
  for (int64_t extent : shape)
    if (extent < 0)
      return Status::error("expand needs a known result shape");
  Expected<Shape> joined = broadcast(in.shape, shape);
  if (!joined || *joined != shape)
    return Status::error("cannot expand " + shapeString(in.shape) + " to " +
                         shapeString(shape));
  LLMC_CHECK(c.setOutput(0, shape));
  std::vector<int64_t> strides = broadcastStrides(in.shape, shape);
  int64_t width = dtypeBytes(in.dtype), n = elementCount(shape);
  std::vector<int64_t> index(shape.size(), 0);
  int64_t source = 0;
  uint8_t *out = c.outputs[0]->data;
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(out + i * width, in.data + source * width, width);
    for (size_t d = shape.size(); d-- > 0;) {
      source += strides[d];
      if (++index[d] < shape[d])
        break;
      source -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return Status::success();
}

Status iota(KernelContext &c) {
  const Shape &declared = c.declared[0];
  if (declared.size() != 1 || declared[0] < 0)
    return Status::error("iota needs a known length");
  LLMC_CHECK(c.setOutput(0, declared));
  Tensor &out = *c.outputs[0];
  for (int64_t i = 0; i < declared[0]; ++i) {
    if (out.dtype == DType::i64)
      out.as<int64_t>()[i] = i;
    else if (out.dtype == DType::i32)
      out.as<int32_t>()[i] = static_cast<int32_t>(i);
    else
      return Status::error("iota yields integers");
  }
  return Status::success();
}

} // namespace llmc::runtime::cpu
