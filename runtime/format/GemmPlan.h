//===- GemmPlan.h - the cuBLASLt calls of the CUDA target's plan ----------===//
//
// plan-cuda-gemms decides, at compile time, how each GEMM of a CUDA plan
// is called: the calls that hold GEMMs (linear, linears, lm_head,
// gated_mlp, mlp) get the parameter `cublaslt_epilogues`, one entry per
// GEMM in the order the kernel runs them, and `cublaslt_compute`. The
// runtime (runtime/cuda/Gemm) builds its cuBLASLt descriptors from them.
// Part of the artifact format.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_GEMMPLAN_H
#define LLMC_RUNTIME_FORMAT_GEMMPLAN_H

#include <cstdint>

namespace llmc::format {

inline constexpr const char *kGemmEpilogues = "cublaslt_epilogues";
inline constexpr const char *kGemmCompute = "cublaslt_compute";

/// What cuBLASLt applies to a GEMM's result. Its GELU is the tanh
/// approximation: only an mlp with activation 2 (gelu_tanh) takes it.
enum class GemmEpilogue : int64_t { none = 0, bias, gelu, geluBias };

/// The accumulation type (CUBLAS_COMPUTE_32F: f32 whatever the storage).
enum class GemmCompute : int64_t { f32 = 0 };

} // namespace llmc::format

#endif // LLMC_RUNTIME_FORMAT_GEMMPLAN_H
