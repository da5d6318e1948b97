//===- ElementwiseProgram.h - the instruction set of fused_elementwise ----===//
//
// plan-fuse-elementwise turns a chain of f32 elementwise calls into one
// "fused_elementwise" call whose `program` parameter the runtime interprets
// over blocks of elements. Program: triples (opcode, a, b); an operand
// >= 0 is that input of the call (same shape as the result, or one
// element), < 0 is the result of instruction -operand - 1 (earlier in the
// program); unary ops ignore b. The last instruction's result is the
// call's. Compiler and runtime share this numbering; it is part of the
// artifact format.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_ELEMENTWISEPROGRAM_H
#define LLMC_RUNTIME_FORMAT_ELEMENTWISEPROGRAM_H

#include <cstdint>
#include <cstring>

namespace llmc::format {

/// Opcodes of the elementwise ops; those after `silu` have CPU kernels of
/// their own but do not fuse (booleans, and gelu with its parameter).
enum class ElementwiseOpcode : int64_t {
  add = 0,
  sub,
  mul,
  div,
  pow,
  max,
  min,
  neg,
  abs,
  exp,
  log,
  sqrt,
  rsqrt,
  reciprocal,
  tanh,
  erf,
  sigmoid,
  cos,
  sin,
  silu,
  logicalAnd,
  logicalOr,
  logicalNot,
  isNan,
  gelu,
};

struct ElementwiseOpInfo {
  const char *kernel;
  ElementwiseOpcode opcode;
  int arity;
};

inline constexpr ElementwiseOpInfo kElementwiseOps[] = {
    {"add", ElementwiseOpcode::add, 2},
    {"sub", ElementwiseOpcode::sub, 2},
    {"mul", ElementwiseOpcode::mul, 2},
    {"div", ElementwiseOpcode::div, 2},
    {"pow", ElementwiseOpcode::pow, 2},
    {"max", ElementwiseOpcode::max, 2},
    {"min", ElementwiseOpcode::min, 2},
    {"neg", ElementwiseOpcode::neg, 1},
    {"abs", ElementwiseOpcode::abs, 1},
    {"exp", ElementwiseOpcode::exp, 1},
    {"log", ElementwiseOpcode::log, 1},
    {"sqrt", ElementwiseOpcode::sqrt, 1},
    {"rsqrt", ElementwiseOpcode::rsqrt, 1},
    {"reciprocal", ElementwiseOpcode::reciprocal, 1},
    {"tanh", ElementwiseOpcode::tanh, 1},
    {"erf", ElementwiseOpcode::erf, 1},
    {"sigmoid", ElementwiseOpcode::sigmoid, 1},
    {"cos", ElementwiseOpcode::cos, 1},
    {"sin", ElementwiseOpcode::sin, 1},
    {"silu", ElementwiseOpcode::silu, 1},
};

/// For the CUDA target, a fused_elementwise call's `cuda_kernel` N names
/// the generated function llmc_fused_N of the artifact's "cuda fatbin"
/// (calling convention: passes/codegen/cuda/EmitCudaSource.h), launched
/// in blocks of this many threads.
inline constexpr int kCudaFusedBlockSize = 256;

/// The entry of the plan kernel `name`, or null when it does not fuse.
inline const ElementwiseOpInfo *findElementwiseOp(const char *name) {
  for (const ElementwiseOpInfo &info : kElementwiseOps)
    if (std::strcmp(info.kernel, name) == 0)
      return &info;
  return nullptr;
}

/// The entry of `opcode`, or null.
inline const ElementwiseOpInfo *findElementwiseOp(int64_t opcode) {
  for (const ElementwiseOpInfo &info : kElementwiseOps)
    if (static_cast<int64_t>(info.opcode) == opcode)
      return &info;
  return nullptr;
}

} // namespace llmc::format

#endif // LLMC_RUNTIME_FORMAT_ELEMENTWISEPROGRAM_H
