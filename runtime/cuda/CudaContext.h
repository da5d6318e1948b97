//===- CudaContext.h - what the CUDA kernels of the plan are given --------===//
//
// The device half of a kernel's context on a GPU (KernelContext::cuda):
// the stream every step is enqueued on, cuBLASLt for the GEMMs, the
// artifact's generated kernels, the device-side error word, and scratch
// memory for kernels that need intermediates (the MLPs' hidden layer).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CUDA_CUDACONTEXT_H
#define LLMC_RUNTIME_CUDA_CUDACONTEXT_H

#include "kernels/cuda/Transformer.h"
#include "runtime/cuda/Gemm.h"
#include "runtime/exec/Tensor.h"
#include "runtime/format/Status.h"

#include <cuda_runtime_api.h>

#include <map>
#include <string>
#include <vector>

namespace llmc::runtime {

struct CudaContext {
  cudaStream_t stream = nullptr;
  int ordinal = 0;
  /// Compute capability, major * 10 + minor.
  int arch = 0;
  int multiprocessors = 0;
  Gemm *gemm = nullptr;
  /// kernels/cuda/Transformer.h ErrorFlag bits, in device memory.
  unsigned *errors = nullptr;

  /// The artifact's generated kernel `llmc_fused_<index>`, from its
  /// "cuda fatbin" or, for a draft model's plan, its "draft cuda fatbin"
  /// (numbered after the target's: one name, one function; looked up once,
  /// then kept).
  Expected<cudaKernel_t> generatedKernel(int64_t index);
  /// Device memory of at least `bytes` for `slot` (a kernel's
  /// intermediates), kept for later calls. The slots: 0 an MLP's hidden
  /// layer, 1 a dequantized weight, 2 attention's partial results, 3 the
  /// sampling candidates, 4 fp8 activations, 5 an fp8 GEMM's product.
  Expected<void *> scratch(int slot, uint64_t bytes);
  /// How many times scratch() has freed a slot's buffer for a larger one:
  /// a CUDA graph recorded before then may read the freed buffer.
  uint64_t scratchMoves = 0;

  // Owned by CudaDevice.
  std::vector<cudaLibrary_t> generated;
  std::map<int64_t, cudaKernel_t> generatedKernels;
  struct Scratch {
    void *memory = nullptr;
    uint64_t bytes = 0;
  };
  Scratch scratchSlots[6];
};

/// "what: cudaErrorX (its description)", or success.
Status cudaStatus(cudaError_t error, const std::string &what);

/// The status of launching `kernel` (cudaStatus of the launch's error).
Status launched(cudaError_t error, const char *kernel);

/// The storage type of float elements (f32, f16, bf16); an error naming
/// any other.
Expected<kernels::cuda::Storage> storageOf(DType dtype);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CUDA_CUDACONTEXT_H
