//===- ElementwiseKernels.cpp - broadcasting arithmetic, iota -------------===//

#include "runtime/cpu/CpuKernels.h"

#include "kernels/common/ElementwiseMath.h"
#include "kernels/cpu/Transformer.h"
#include "runtime/format/ElementwiseProgram.h"
#include "runtime/format/Float16.h"
#include "runtime/support/ThreadPool.h"

#include <cmath>
#include <cstring>

namespace llmc::runtime::cpu {

namespace {

using Op = format::ElementwiseOpcode;

/// Integer and boolean binary ops; f32 takes the shared definitions below.
template <typename T> T apply(Op op, T x, T y) {
  switch (op) {
  case Op::add:
    return x + y;
  case Op::sub:
    return x - y;
  case Op::mul:
    return x * y;
  case Op::div:
    return x / y;
  case Op::pow:
    return static_cast<T>(std::pow(x, y));
  case Op::max:
    return x > y ? x : y;
  case Op::logicalAnd:
    return x && y;
  case Op::logicalOr:
    return x || y;
  default:
    return x < y ? x : y;
  }
}

/// f32 binary ops as the generated CUDA kernels compute them
/// (kernels/common/ElementwiseMath.h).
template <> float apply<float>(Op op, float x, float y) {
  switch (op) {
  case Op::add:
    return math::add(x, y);
  case Op::sub:
    return math::sub(x, y);
  case Op::mul:
    return math::mul(x, y);
  case Op::div:
    return math::div(x, y);
  case Op::pow:
    return math::pow(x, y);
  case Op::max:
    return math::max(x, y);
  default:
    return math::min(x, y);
  }
}

template <typename T>
Status binaryOf(KernelContext &c, Op op, const Tensor &a, const Tensor &b) {
  Expected<Shape> shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    return shape.status();
  if (Status status = c.setOutput(0, *shape); !status)
    return status;
  const T *x = a.as<T>(), *y = b.as<T>();
  T *out = c.outputs[0]->as<T>();
  int64_t n = elementCount(*shape);
  if constexpr (std::is_integral_v<T>)
    if (op == Op::div)
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
  forEachElement<2>(
      *shape,
      {broadcastStrides(a.shape, *shape), broadcastStrides(b.shape, *shape)},
      [&](int64_t i, const std::array<int64_t, 2> &at) {
        out[i] = apply<T>(op, x[at[0]], y[at[1]]);
      });
  return Status::success();
}

} // namespace

Status binary(KernelContext &c, Op op) {
  if (c.inputs.size() != 2 || !c.inputs[0] || !c.inputs[1])
    return Status::error("a binary op takes two operands");
  const Tensor &a = *c.inputs[0], &b = *c.inputs[1];
  if (a.dtype != b.dtype || a.dtype != c.outputs[0]->dtype)
    return Status::error(std::string("operands ") + dtypeName(a.dtype) +
                         " and " + dtypeName(b.dtype) + " differ");
  bool logical = op == Op::logicalAnd || op == Op::logicalOr;
  if (logical != (a.dtype == DType::boolean))
    return Status::error(std::string("no such op on ") + dtypeName(a.dtype));
  return dispatch(a.dtype, [&](auto zero) {
    return binaryOf<decltype(zero)>(c, op, a, b);
  });
}

Status expand(KernelContext &c) {
  LLMC_PARAM(strides, startExpand(c));
  const Tensor &in = *c.inputs[0];
  const Shape &shape = c.outputs[0]->shape;
  int64_t width = dtypeBytes(in.dtype);
  uint8_t *out = c.outputs[0]->data;
  forEachElement<1>(
      shape, {strides}, [&](int64_t i, const std::array<int64_t, 1> &at) {
        std::memcpy(out + i * width, in.data + at[0] * width, width);
      });
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

namespace {

float applyUnary(Op op, float x) {
  switch (op) {
  case Op::neg:
    return math::neg(x);
  case Op::abs:
    return math::abs(x);
  case Op::exp:
    return math::exp(x);
  case Op::log:
    return math::log(x);
  case Op::sqrt:
    return math::sqrt(x);
  case Op::rsqrt:
    return math::rsqrt(x);
  case Op::reciprocal:
    return math::reciprocal(x);
  case Op::tanh:
    return math::tanh(x);
  case Op::erf:
    return math::erf(x);
  case Op::sigmoid:
    return math::sigmoid(x);
  case Op::cos:
    return math::cos(x);
  case Op::sin:
    return math::sin(x);
  case Op::silu:
    return math::silu(x);
  default:
    return x;
  }
}

} // namespace

Status unary(KernelContext &c, Op op) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("a unary op takes one operand");
  const Tensor &x = *c.inputs[0];
  LLMC_CHECK(c.setOutput(0, x.shape));
  int64_t n = x.elements();
  if (op == Op::logicalNot) {
    if (x.dtype != DType::boolean)
      return Status::error("not takes booleans");
    for (int64_t i = 0; i < n; ++i)
      c.outputs[0]->as<uint8_t>()[i] = !x.as<uint8_t>()[i];
    return Status::success();
  }
  if (x.dtype != DType::f32)
    return Status::error(std::string("no such op on ") + dtypeName(x.dtype));
  const float *in = x.as<float>();
  if (op == Op::isNan) {
    for (int64_t i = 0; i < n; ++i)
      c.outputs[0]->as<uint8_t>()[i] = std::isnan(in[i]);
    return Status::success();
  }
  float *out = c.outputs[0]->as<float>();
  if (op == Op::gelu) {
    if (out != in)
      std::memcpy(out, in, x.bytes());
    LLMC_PARAM(tanh, c.params.has("tanh"));
    kernels::gelu(out, n, tanh);
    return Status::success();
  }
  for (int64_t i = 0; i < n; ++i)
    out[i] = applyUnary(op, in[i]);
  return Status::success();
}

Status compare(KernelContext &c) {
  if (c.inputs.size() != 2 || !c.inputs[0] || !c.inputs[1] ||
      c.inputs[0]->dtype != c.inputs[1]->dtype)
    return Status::error("compare takes two operands of one type");
  const Tensor &a = *c.inputs[0], &b = *c.inputs[1];
  Expected<Shape> shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    return shape.status();
  LLMC_CHECK(c.setOutput(0, *shape));
  LLMC_PARAM(kind, c.params.integer("kind"));
  return dispatch(a.dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    const T *x = a.as<T>(), *y = b.as<T>();
    uint8_t *out = c.outputs[0]->as<uint8_t>();
    forEachElement<2>(
        *shape,
        {broadcastStrides(a.shape, *shape), broadcastStrides(b.shape, *shape)},
        [&](int64_t i, const std::array<int64_t, 2> &at) {
          T l = x[at[0]], r = y[at[1]];
          out[i] = kind == 0   ? l == r
                   : kind == 1 ? l != r
                   : kind == 2 ? l < r
                   : kind == 3 ? l <= r
                   : kind == 4 ? l > r
                               : l >= r;
        });
    return Status::success();
  });
}

Status select(KernelContext &c) {
  if (c.inputs.size() != 3 || !c.inputs[0] || !c.inputs[1] || !c.inputs[2])
    return Status::error("select takes a condition and two values");
  const Tensor &cond = *c.inputs[0], &a = *c.inputs[1], &b = *c.inputs[2];
  if (cond.dtype != DType::boolean || a.dtype != b.dtype)
    return Status::error("select takes a boolean condition and two values "
                         "of one type");
  Expected<Shape> ab = broadcastShapes(a.shape, b.shape);
  if (!ab)
    return ab.status();
  Expected<Shape> shape = broadcastShapes(cond.shape, *ab);
  if (!shape)
    return shape.status();
  LLMC_CHECK(c.setOutput(0, *shape));
  int64_t width = dtypeBytes(a.dtype);
  uint8_t *out = c.outputs[0]->data;
  forEachElement<3>(
      *shape,
      {broadcastStrides(cond.shape, *shape), broadcastStrides(a.shape, *shape),
       broadcastStrides(b.shape, *shape)},
      [&](int64_t i, const std::array<int64_t, 3> &at) {
        const uint8_t *from =
            cond.data[at[0]] ? a.data + at[1] * width : b.data + at[2] * width;
        std::memcpy(out + i * width, from, width);
      });
  return Status::success();
}

namespace {

bool isNarrow(DType dtype) {
  return dtype == DType::f16 || dtype == DType::bf16;
}

} // namespace

Status cast(KernelContext &c) {
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error("cast takes one operand");
  const Tensor &x = *c.inputs[0];
  Tensor &out = *c.outputs[0];
  LLMC_CHECK(c.setOutput(0, x.shape));
  int64_t n = x.elements();
  // f16 and bf16 go through f32.
  std::vector<float> wide;
  Tensor from = x;
  if (isNarrow(x.dtype)) {
    wide.resize(n);
    const uint16_t *in = x.as<uint16_t>();
    for (int64_t i = 0; i < n; ++i)
      wide[i] = x.dtype == DType::f16 ? format::halfToFloat(in[i])
                                      : format::bfloat16ToFloat(in[i]);
    from = {DType::f32, x.shape, reinterpret_cast<uint8_t *>(wide.data())};
  }
  if (isNarrow(out.dtype)) {
    if (from.dtype != DType::f32)
      return Status::error(std::string("no cast from ") +
                           dtypeName(from.dtype) + " to " +
                           dtypeName(out.dtype));
    uint16_t *result = out.as<uint16_t>();
    for (int64_t i = 0; i < n; ++i)
      result[i] = out.dtype == DType::f16
                      ? format::floatToHalf(from.as<float>()[i])
                      : format::floatToBfloat16(from.as<float>()[i]);
    return Status::success();
  }
  bool toBool = out.dtype == DType::boolean;
  return dispatch(from.dtype, [&](auto source) -> Status {
    using From = decltype(source);
    return dispatch(out.dtype, [&](auto target) -> Status {
      using To = decltype(target);
      const From *in = from.as<From>();
      To *result = out.as<To>();
      for (int64_t i = 0; i < n; ++i)
        result[i] = toBool ? To(in[i] != From(0)) : static_cast<To>(in[i]);
      return Status::success();
    });
  });
}

Status range(KernelContext &c) {
  if (c.inputs.size() != 3 || !c.inputs[0] || !c.inputs[1] || !c.inputs[2])
    return Status::error("range takes start, limit and delta");
  int64_t start = indexAt(*c.inputs[0], 0), limit = indexAt(*c.inputs[1], 0),
          delta = indexAt(*c.inputs[2], 0);
  if (delta == 0)
    return Status::error("range with a zero step");
  int64_t count = std::max<int64_t>(
      0, (limit - start + delta + (delta > 0 ? -1 : 1)) / delta);
  LLMC_CHECK(c.setOutput(0, {count}));
  for (int64_t i = 0; i < count; ++i) {
    if (c.outputs[0]->dtype == DType::i64)
      c.outputs[0]->as<int64_t>()[i] = start + i * delta;
    else
      c.outputs[0]->as<int32_t>()[i] = static_cast<int32_t>(start + i * delta);
  }
  return Status::success();
}

Status fusedElementwise(KernelContext &c) {
  LLMC_PARAM(programParam, c.params.ints("program"));
  const std::vector<int64_t> &program = *programParam;
  int64_t steps = static_cast<int64_t>(program.size()) / 3;
  if (steps == 0 || program.size() % 3 != 0)
    return Status::error("fused_elementwise has no program");
  const Tensor *full = nullptr;
  for (const Tensor *input : c.inputs) {
    if (!input || input->dtype != DType::f32)
      return Status::error("fused_elementwise takes f32 operands");
    if (input->elements() != 1 && !full)
      full = input;
  }
  Shape shape = full ? full->shape : c.declared[0];
  for (int64_t &extent : shape)
    if (extent < 0)
      extent = 1; // all operands single elements: so is the result
  for (const Tensor *input : c.inputs)
    if (input->elements() != 1 && input->shape != shape)
      return Status::error("fused_elementwise operands " +
                           shapeString(input->shape) + " and " +
                           shapeString(shape) + " differ");
  // Check the program once, before running it on every block.
  for (int64_t s = 0; s < steps; ++s) {
    const format::ElementwiseOpInfo *info =
        format::findElementwiseOp(program[3 * s]);
    if (!info)
      return Status::error("fused_elementwise: unknown opcode " +
                           std::to_string(program[3 * s]));
    for (int k = 1; k <= info->arity; ++k) {
      int64_t operand = program[3 * s + k];
      if (operand >= static_cast<int64_t>(c.inputs.size()) ||
          (operand < 0 && -operand - 1 >= s))
        return Status::error("fused_elementwise: step " + std::to_string(s) +
                             " reads operand " + std::to_string(operand) +
                             ", not defined before it");
    }
  }
  LLMC_CHECK(c.setOutput(0, shape));
  int64_t n = elementCount(shape);
  constexpr int64_t kBlock = 256;
  float *out = c.outputs[0]->as<float>();
  c.pool.parallelFor(
      (n + kBlock - 1) / kBlock,
      [&](int64_t first, int64_t last) {
        std::vector<float> registers(static_cast<size_t>(steps * kBlock));
        for (int64_t block = first; block < last; ++block) {
          int64_t begin = block * kBlock, count = std::min(kBlock, n - begin);
          // The values of an operand for this block: an input's, or a
          // register's.
          auto operand = [&](int64_t code, int64_t i) {
            if (code < 0)
              return registers[(-code - 1) * kBlock + i];
            const Tensor &input = *c.inputs[code];
            return input.elements() == 1 ? input.as<float>()[0]
                                         : input.as<float>()[begin + i];
          };
          for (int64_t s = 0; s < steps; ++s) {
            Op op = static_cast<Op>(program[3 * s]);
            bool binary = format::findElementwiseOp(program[3 * s])->arity == 2;
            float *result = registers.data() + s * kBlock;
            for (int64_t i = 0; i < count; ++i) {
              float a = operand(program[3 * s + 1], i);
              result[i] =
                  binary ? apply<float>(op, a, operand(program[3 * s + 2], i))
                         : applyUnary(op, a);
            }
          }
          std::memcpy(out + begin, registers.data() + (steps - 1) * kBlock,
                      count * sizeof(float));
        }
      },
      1);
  return Status::success();
}

} // namespace llmc::runtime::cpu
