//===- ElementwiseMath.h - the scalar math of elementwise ops, host and GPU
//-===//
//
// One definition of each fusable elementwise op (ElementwiseProgram.h) on
// f32, compiled three ways: into the CPU kernels, into kernels/cuda, and
// pasted by the CUDA code generator at the top of every generated source
// (passes/codegen/cuda), so a fused kernel on the GPU computes what the
// CPU runtime computes, and the ONNX backend tests that check the CPU
// kernels check this math too. Plain C math functions only: they exist on
// the host and in CUDA device code alike.
//
// This file is self-contained (no includes beyond <math.h>): the code
// generator embeds its text verbatim.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_COMMON_ELEMENTWISEMATH_H
#define LLMC_KERNELS_COMMON_ELEMENTWISEMATH_H

#include <math.h>

#if defined(__CUDACC__)
#define LLMC_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define LLMC_HOST_DEVICE inline
#endif

namespace llmc::math {

LLMC_HOST_DEVICE float add(float a, float b) { return a + b; }
LLMC_HOST_DEVICE float sub(float a, float b) { return a - b; }
LLMC_HOST_DEVICE float mul(float a, float b) { return a * b; }
LLMC_HOST_DEVICE float div(float a, float b) { return a / b; }
LLMC_HOST_DEVICE float pow(float a, float b) { return powf(a, b); }
LLMC_HOST_DEVICE float max(float a, float b) { return a > b ? a : b; }
LLMC_HOST_DEVICE float min(float a, float b) { return a < b ? a : b; }
LLMC_HOST_DEVICE float neg(float x) { return -x; }
LLMC_HOST_DEVICE float abs(float x) { return fabsf(x); }
LLMC_HOST_DEVICE float exp(float x) { return expf(x); }
LLMC_HOST_DEVICE float log(float x) { return logf(x); }
LLMC_HOST_DEVICE float sqrt(float x) { return sqrtf(x); }
LLMC_HOST_DEVICE float rsqrt(float x) { return 1.0f / sqrtf(x); }
LLMC_HOST_DEVICE float reciprocal(float x) { return 1.0f / x; }
LLMC_HOST_DEVICE float tanh(float x) { return tanhf(x); }
LLMC_HOST_DEVICE float erf(float x) { return erff(x); }
LLMC_HOST_DEVICE float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
LLMC_HOST_DEVICE float cos(float x) { return cosf(x); }
LLMC_HOST_DEVICE float sin(float x) { return sinf(x); }
LLMC_HOST_DEVICE float silu(float x) { return x / (1.0f + expf(-x)); }
/// GELU, exact (erf) and with the tanh approximation; the activations of
/// the mlp kernels (not fusable ops: no opcode).
LLMC_HOST_DEVICE float gelu(float x) {
  return 0.5f * x * (1.0f + erff(x / sqrtf(2.0f)));
}
LLMC_HOST_DEVICE float geluTanh(float x) {
  const float c = 0.7978845608028654f; // sqrt(2 / pi)
  return 0.5f * x * (1.0f + tanhf(c * (x + 0.044715f * x * x * x)));
}
/// Attention logit soft-capping (Gemma 2), in the attention kernels (not
/// an op either): tanh(s / cap) * cap, s itself without a cap (0).
LLMC_HOST_DEVICE float softCap(float s, float cap) {
  return cap > 0.0f ? tanhf(s / cap) * cap : s;
}

} // namespace llmc::math

#endif // LLMC_KERNELS_COMMON_ELEMENTWISEMATH_H
