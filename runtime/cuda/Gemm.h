//===- Gemm.h - the plan's GEMMs through cuBLASLt -------------------------===//
//
// y[m, n] = epilogue(x[m, k] w[n, k]^T, bias[n]), row-major, all of one storage
// type (f32, f16 or bf16) with f32 accumulation (no TF32: f32 results stay
// within f32 rounding of the CPU's).
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
#include "runtime/support/Status.h"

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

private:
  struct Library;
  struct Plan;
  Gemm() = default;
  Expected<Plan *> plan(Storage type, Epilogue epilogue, int64_t m, int64_t n,
                        int64_t k);

  std::unique_ptr<Library> lib_;
  void *handle_ = nullptr;
  void *workspace_ = nullptr;
  uint64_t workspaceBytes_ = 0;
  std::map<std::tuple<Storage, Epilogue, int64_t, int64_t, int64_t>,
           std::unique_ptr<Plan>>
      plans_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CUDA_GEMM_H
