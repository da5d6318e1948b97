//===- ReductionKernels.cpp - matmul, reductions, softmax, cumsum ---------===//

#include "runtime/cpu/CpuKernels.h"

#include "kernels/cpu/Linear.h"
#include "kernels/cpu/Transformer.h"

#include <cmath>
#include <cstring>

namespace llmc::runtime::cpu {
namespace {

/// A tensor seen as [outer, extent, inner] around `axis`.
struct AxisView {
  int64_t outer = 1, extent = 1, inner = 1;
};

Expected<AxisView> aroundAxis(const Shape &shape, int64_t axis) {
  int64_t rank = static_cast<int64_t>(shape.size());
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return Status::error("axis out of range for " + shapeString(shape));
  AxisView view;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? view.outer : d == axis ? view.extent : view.inner) *= shape[d];
  return view;
}

} // namespace

Status matmul(KernelContext &c) {
  LLMC_INPUT(a, 0, DType::f32);
  LLMC_INPUT(b, 1, DType::f32);
  if (a.rank() < 1 || b.rank() < 1)
    return Status::error("matmul of scalars");
  // Numpy: 1-D operands gain (and then lose) a unit axis.
  Shape sa = a.shape, sb = b.shape;
  if (sa.size() == 1)
    sa.insert(sa.begin(), 1);
  if (sb.size() == 1)
    sb.push_back(1);
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  if (sb[sb.size() - 2] != k)
    return Status::error("matmul of " + shapeString(a.shape) + " and " +
                         shapeString(b.shape));
  Shape batchA(sa.begin(), sa.end() - 2), batchB(sb.begin(), sb.end() - 2);
  Expected<Shape> batch = broadcastShapes(batchA, batchB);
  if (!batch)
    return batch.status();
  Shape shape = *batch;
  if (a.rank() > 1)
    shape.push_back(m);
  if (b.rank() > 1)
    shape.push_back(n);
  LLMC_CHECK(c.setOutput(0, shape));
  // kernels::linear wants the right operand as [n, k]: transpose it once.
  std::vector<float> bt(static_cast<size_t>(k * n));
  float *out = c.outputs[0]->as<float>();
  forEachElement<2>(
      *batch,
      {broadcastStrides(batchA, *batch), broadcastStrides(batchB, *batch)},
      [&](int64_t i, const std::array<int64_t, 2> &at) {
        const float *lhs = a.as<float>() + at[0] * m * k;
        const float *rhs = b.as<float>() + at[1] * k * n;
        for (int64_t r = 0; r < k; ++r)
          for (int64_t col = 0; col < n; ++col)
            bt[col * k + r] = rhs[r * n + col];
        kernels::linear(lhs, bt.data(), nullptr, out + i * m * n, m, n, k);
      });
  return Status::success();
}

Status reduce(KernelContext &c, int op) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("a reduction takes one operand");
  const Tensor &x = *c.inputs[0];
  std::vector<bool> reduced(x.rank(), false);
  LLMC_PARAM(axes, c.params.ints("axes"));
  for (int64_t axis : *axes) {
    if (axis < 0)
      axis += x.rank();
    if (axis < 0 || axis >= x.rank())
      return Status::error("reduction axis out of range for " +
                           shapeString(x.shape));
    reduced[axis] = true;
  }
  LLMC_PARAM(keep, c.params.has("keep_dims"));
  Shape out, kept;
  for (int64_t d = 0; d < x.rank(); ++d) {
    kept.push_back(reduced[d] ? 1 : x.shape[d]);
    if (!reduced[d])
      out.push_back(x.shape[d]);
    else if (keep)
      out.push_back(1);
  }
  LLMC_CHECK(c.setOutput(0, out));
  std::vector<int64_t> strides = broadcastStrides(kept, x.shape);
  int64_t n = x.elements(), count = elementCount(kept);
  int64_t per = count ? n / count : 0;
  return dispatch(x.dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    using Acc =
        std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    // A maximum starts below every value: -inf for floats.
    const Acc lowest = std::numeric_limits<Acc>::has_infinity
                           ? -std::numeric_limits<Acc>::infinity()
                           : std::numeric_limits<Acc>::lowest();
    std::vector<Acc> acc(static_cast<size_t>(count),
                         op == maximum ? lowest : Acc(0));
    const T *in = x.as<T>();
    forEachElement<1>(
        x.shape, {strides}, [&](int64_t i, const std::array<int64_t, 1> &at) {
          Acc value = static_cast<Acc>(in[i]);
          Acc &into = acc[at[0]];
          into = op == maximum ? std::max(into, value) : into + value;
        });
    T *result = c.outputs[0]->as<T>();
    for (int64_t i = 0; i < count; ++i)
      result[i] =
          static_cast<T>(op == mean ? acc[i] / (per ? per : 1) : acc[i]);
    return Status::success();
  });
}

Status softmax(KernelContext &c) {
  LLMC_INPUT(x, 0, DType::f32);
  LLMC_PARAM(axis, c.params.integer("axis"));
  Expected<AxisView> view = aroundAxis(x.shape, axis);
  if (!view)
    return view.status();
  LLMC_CHECK(c.setOutput(0, x.shape));
  const float *in = x.as<float>();
  float *out = c.outputs[0]->as<float>();
  for (int64_t o = 0; o < view->outer; ++o)
    for (int64_t i = 0; i < view->inner; ++i) {
      int64_t base = o * view->extent * view->inner + i;
      float peak = -INFINITY;
      for (int64_t e = 0; e < view->extent; ++e)
        peak = std::max(peak, in[base + e * view->inner]);
      double sum = 0;
      for (int64_t e = 0; e < view->extent; ++e)
        sum += std::exp(in[base + e * view->inner] - peak);
      for (int64_t e = 0; e < view->extent; ++e)
        out[base + e * view->inner] = static_cast<float>(
            std::exp(in[base + e * view->inner] - peak) / sum);
    }
  return Status::success();
}

Status cumsum(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("cumsum takes one operand");
  const Tensor &x = *c.inputs[0];
  LLMC_PARAM(axis, c.params.integer("axis"));
  Expected<AxisView> view = aroundAxis(x.shape, axis);
  if (!view)
    return view.status();
  LLMC_CHECK(c.setOutput(0, x.shape));
  LLMC_PARAM(exclusive, c.params.has("exclusive"));
  LLMC_PARAM(reverse, c.params.has("reverse"));
  return dispatch(x.dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    const T *in = x.as<T>();
    T *out = c.outputs[0]->as<T>();
    for (int64_t o = 0; o < view->outer; ++o)
      for (int64_t i = 0; i < view->inner; ++i) {
        T running = 0;
        for (int64_t step = 0; step < view->extent; ++step) {
          int64_t e = reverse ? view->extent - 1 - step : step;
          int64_t at = (o * view->extent + e) * view->inner + i;
          T value = in[at];
          if (exclusive) {
            out[at] = running;
            running += value;
          } else {
            running += value;
            out[at] = running;
          }
        }
      }
    return Status::success();
  });
}

} // namespace llmc::runtime::cpu
