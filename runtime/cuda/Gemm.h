//===- Gemm.h - the plan's GEMMs through cuBLASLt -------------------------===//
//
// y[m, n] = epilogue(x[m, k] w[n, k]^T, bias[n]), row-major, all of one storage
// type (f32, f16 or bf16) with f32 accumulation (no TF32: f32 results stay
// within f32 rounding of the CPU's); and, for weights and activations both
// quantized, the product of their codes: E4M3 (sm_89 and newer; f32
// product) or int8 (int32 product, exact).
// cuBLASLt is loaded when the first CUDA device opens (dlopen of
// libcublasLt.so.<CUDA major>), so llmc-run starts, and says what is
// missing, where the library is not installed. Matmul descriptors and the
// heuristic's algorithm are made once per shape.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CUDA_GEMM_H
#define LLMC_RUNTIME_CUDA_GEMM_H

#include "kernels/cuda/Transformer.h"
#include "runtime/format/GemmPlan.h"
#include "runtime/format/Status.h"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

namespace llmc::runtime {

class Gemm {
public:
  /// Loads cuBLASLt and makes a handle and workspace on the current
  /// device.
  static Expected<std::unique_ptr<Gemm>> open();
  ~Gemm();

  using Storage = kernels::cuda::Storage;
  using Epilogue = format::GemmEpilogue;
  /// `bias` is read by the bias epilogues and must be null otherwise.
  Status linear(Storage type, Epilogue epilogue, const void *x, const void *w,
                const void *bias, void *y, int64_t m, int64_t n, int64_t k,
                cudaStream_t stream);

  /// Codes of quantized weights and activations.
  enum class Codes { fp8, int8 };
  /// Whether cuBLASLt multiplies `codes` of an [n, k] weight on a device
  /// of architecture `arch` (major * 10 + minor): fp8 from sm_89, int8
  /// from sm_75, with n and k multiples of 16.
  static bool codesFit(Codes codes, int arch, int64_t n, int64_t k);
  /// product[m, n] (f32) = (*xScale * x[m, k]) w[n, k]^T of E4M3 codes,
  /// *xScale in device memory; the weight's scales are the caller's
  /// (kernels/cuda/QuantActivations.h scaleFp8Product). Requires codesFit.
  Status fp8Product(const uint8_t *x, const float *xScale, const uint8_t *w,
                    float *product, int64_t m, int64_t n, int64_t k,
                    cudaStream_t stream);
  /// product[m, n] (int32) = x[m, k] w[n, k]^T of int8 codes; both scales
  /// are the caller's (scaleInt8Product). Requires codesFit.
  Status int8Product(const int8_t *x, const int8_t *w, int32_t *product,
                     int64_t m, int64_t n, int64_t k, cudaStream_t stream);

private:
  struct Library;
  struct Plan;
  Gemm() = default;
  /// What a GEMM multiplies: floats of a storage type throughout, or
  /// codes (Codes) with an f32 or int32 product.
  enum class Operands { floats, fp8, int8 };
  /// The plan of a GEMM (`type` for floats).
  Expected<Plan *> plan(Operands operands, Storage type, Epilogue epilogue,
                        int64_t m, int64_t n, int64_t k);
  Status run(Plan &plan, const void *a, const void *b, void *d,
             cudaStream_t stream);

  std::unique_ptr<Library> lib_;
  void *handle_ = nullptr;
  void *workspace_ = nullptr;
  uint64_t workspaceBytes_ = 0;
  std::map<std::tuple<Operands, Storage, Epilogue, int64_t, int64_t, int64_t>,
           std::unique_ptr<Plan>>
      plans_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CUDA_GEMM_H
