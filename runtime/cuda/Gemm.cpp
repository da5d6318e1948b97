//===- Gemm.cpp - the plan's GEMMs through cuBLASLt -----------------------===//

#include "runtime/cuda/Gemm.h"

#include <cublasLt.h>
#include <dlfcn.h>

namespace llmc::runtime {

/// The cuBLASLt entry points llmc uses, looked up in the loaded library.
struct Gemm::Library {
  void *module = nullptr;
#define LLMC_CUBLASLT_FUNCTIONS(X)                                             \
  X(cublasLtCreate)                                                            \
  X(cublasLtDestroy)                                                           \
  X(cublasLtMatmulDescCreate)                                                  \
  X(cublasLtMatmulDescDestroy)                                                 \
  X(cublasLtMatmulDescSetAttribute)                                            \
  X(cublasLtMatrixLayoutCreate)                                                \
  X(cublasLtMatrixLayoutDestroy)                                               \
  X(cublasLtMatmulPreferenceCreate)                                            \
  X(cublasLtMatmulPreferenceDestroy)                                           \
  X(cublasLtMatmulPreferenceSetAttribute)                                      \
  X(cublasLtMatmulAlgoGetHeuristic)                                            \
  X(cublasLtMatmul)                                                            \
  X(cublasLtGetStatusName)
#define LLMC_DECLARE(name) decltype(&::name) name = nullptr;
  LLMC_CUBLASLT_FUNCTIONS(LLMC_DECLARE)
#undef LLMC_DECLARE

  ~Library() {
    if (module)
      dlclose(module);
  }
};

struct Gemm::Plan {
  Library *lib = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo;
  /// int32 scale type (int8 codes): alpha and beta are int32.
  bool integer = false;
  ~Plan() {
    if (d)
      lib->cublasLtMatrixLayoutDestroy(d);
    if (b)
      lib->cublasLtMatrixLayoutDestroy(b);
    if (a)
      lib->cublasLtMatrixLayoutDestroy(a);
    if (desc)
      lib->cublasLtMatmulDescDestroy(desc);
  }
};

namespace {

constexpr uint64_t kWorkspaceBytes = 32u << 20;

/// `lib` is the Library (any type with cublasLtGetStatusName).
template <typename Lib>
Status blasStatus(Lib *lib, cublasStatus_t status, const char *what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return Status::success();
  return Status::error(std::string("cuBLASLt ") + what + ": " +
                       (lib && lib->cublasLtGetStatusName
                            ? std::string(lib->cublasLtGetStatusName(status))
                            : std::to_string(static_cast<int>(status))));
}

} // namespace

Expected<std::unique_ptr<Gemm>> Gemm::open() {
  std::unique_ptr<Gemm> gemm(new Gemm());
  gemm->lib_ = std::make_unique<Library>();
  Library &lib = *gemm->lib_;
  std::string name = "libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR);
  lib.module = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib.module)
    return Status::error(
        "cannot load " + name + " (cuBLASLt of CUDA " +
        std::to_string(CUBLAS_VER_MAJOR) +
        ", which the CUDA runtime's GEMMs need): " + dlerror());
#define LLMC_RESOLVE(function)                                                 \
  lib.function =                                                               \
      reinterpret_cast<decltype(lib.function)>(dlsym(lib.module, #function));  \
  if (!lib.function)                                                           \
    return Status::error(name + " has no " #function);
  LLMC_CUBLASLT_FUNCTIONS(LLMC_RESOLVE)
#undef LLMC_RESOLVE
  cublasLtHandle_t handle = nullptr;
  if (Status status = blasStatus(&lib, lib.cublasLtCreate(&handle), "create");
      !status)
    return status;
  gemm->handle_ = handle;
  if (cudaError_t error = cudaMalloc(&gemm->workspace_, kWorkspaceBytes);
      error != cudaSuccess)
    return Status::error(std::string("cuBLASLt workspace: ") +
                         cudaGetErrorName(error));
  gemm->workspaceBytes_ = kWorkspaceBytes;
  return gemm;
}

Gemm::~Gemm() {
  plans_.clear();
  if (workspace_)
    cudaFree(workspace_);
  if (handle_)
    lib_->cublasLtDestroy(static_cast<cublasLtHandle_t>(handle_));
}

Expected<Gemm::Plan *> Gemm::plan(Operands operands, Storage type,
                                  Epilogue epilogue, int64_t m, int64_t n,
                                  int64_t k) {
  auto key = std::make_tuple(operands, type, epilogue, m, n, k);
  if (auto found = plans_.find(key); found != plans_.end())
    return found->second.get();
  const bool int8 = operands == Operands::int8;
  cudaDataType_t data = operands == Operands::fp8 ? CUDA_R_8F_E4M3
                        : int8                    ? CUDA_R_8I
                        : type == Storage::f16    ? CUDA_R_16F
                        : type == Storage::bf16   ? CUDA_R_16BF
                                                  : CUDA_R_32F;
  cudaDataType_t product = operands == Operands::fp8 ? CUDA_R_32F
                           : int8                    ? CUDA_R_32I
                                                     : data;
  Library *lib = lib_.get();
  auto plan = std::make_unique<Plan>();
  plan->lib = lib;
  plan->integer = int8;
  // cuBLASLt is column-major: the row-major weight [n, k] is a k x n
  // matrix, taken transposed; x [m, k] is k x m; y [m, n] is n x m. So
  // y (n x m) = w^T (n x k) x (k x m), and a bias of n adds per row of y.
  cublasOperation_t transposed = CUBLAS_OP_T, plain = CUBLAS_OP_N;
  cublasLtEpilogue_t applied =
      epilogue == Epilogue::bias       ? CUBLASLT_EPILOGUE_BIAS
      : epilogue == Epilogue::gelu     ? CUBLASLT_EPILOGUE_GELU
      : epilogue == Epilogue::geluBias ? CUBLASLT_EPILOGUE_GELU_BIAS
                                       : CUBLASLT_EPILOGUE_DEFAULT;
  Status status = blasStatus(lib,
                             lib->cublasLtMatmulDescCreate(
                                 &plan->desc,
                                 int8 ? CUBLAS_COMPUTE_32I : CUBLAS_COMPUTE_32F,
                                 int8 ? CUDA_R_32I : CUDA_R_32F),
                             "matmul descriptor");
  if (status)
    status = blasStatus(lib,
                        lib->cublasLtMatmulDescSetAttribute(
                            plan->desc, CUBLASLT_MATMUL_DESC_TRANSA,
                            &transposed, sizeof(transposed)),
                        "transa");
  if (status)
    status = blasStatus(
        lib,
        lib->cublasLtMatmulDescSetAttribute(
            plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &plain, sizeof(plain)),
        "transb");
  if (status)
    status = blasStatus(lib,
                        lib->cublasLtMatmulDescSetAttribute(
                            plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &applied,
                            sizeof(applied)),
                        "epilogue");
  if (status)
    status = blasStatus(
        lib, lib->cublasLtMatrixLayoutCreate(&plan->a, data, k, n, k),
        "layout of w");
  if (status)
    status = blasStatus(
        lib, lib->cublasLtMatrixLayoutCreate(&plan->b, data, k, m, k),
        "layout of x");
  if (status)
    status = blasStatus(
        lib, lib->cublasLtMatrixLayoutCreate(&plan->d, product, n, m, n),
        "layout of y");
  if (!status)
    return status;
  cublasLtMatmulPreference_t preference = nullptr;
  status = blasStatus(lib, lib->cublasLtMatmulPreferenceCreate(&preference),
                      "preference");
  if (!status)
    return status;
  uint64_t workspace = workspaceBytes_;
  lib->cublasLtMatmulPreferenceSetAttribute(
      preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
      sizeof(workspace));
  cublasLtMatmulHeuristicResult_t result = {};
  int found = 0;
  status = blasStatus(lib,
                      lib->cublasLtMatmulAlgoGetHeuristic(
                          static_cast<cublasLtHandle_t>(handle_), plan->desc,
                          plan->a, plan->b, plan->d, plan->d, preference, 1,
                          &result, &found),
                      "heuristic");
  lib->cublasLtMatmulPreferenceDestroy(preference);
  if (!status)
    return status;
  if (found == 0)
    return Status::error(std::string("cuBLASLt has no ") +
                         (operands == Operands::fp8    ? "fp8 "
                          : operands == Operands::int8 ? "int8 "
                                                       : "") +
                         "algorithm for " + std::to_string(m) + " x " +
                         std::to_string(k) + " by " + std::to_string(n));
  plan->algo = result.algo;
  Plan *raw = plan.get();
  plans_.emplace(key, std::move(plan));
  return raw;
}

Status Gemm::linear(Storage type, Epilogue epilogue, const void *x,
                    const void *w, const void *bias, void *y, int64_t m,
                    int64_t n, int64_t k, cudaStream_t stream) {
  bool biased = epilogue == Epilogue::bias || epilogue == Epilogue::geluBias;
  if (biased != (bias != nullptr))
    return Status::error(biased ? "the GEMM's epilogue adds a bias the call "
                                  "does not have"
                                : "the call has a bias its GEMM's epilogue "
                                  "does not add");
  if (m == 0 || n == 0)
    return Status::success();
  Expected<Plan *> found = plan(Operands::floats, type, epilogue, m, n, k);
  if (!found)
    return found.status();
  Plan &p = **found;
  if (bias)
    if (Status status = blasStatus(
            lib_.get(),
            lib_->cublasLtMatmulDescSetAttribute(
                p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)),
            "bias");
        !status)
      return status;
  return run(p, w, x, y, stream);
}

bool Gemm::codesFit(Codes codes, int arch, int64_t n, int64_t k) {
  return arch >= (codes == Codes::fp8 ? 89 : 75) && n % 16 == 0 && k % 16 == 0;
}

Status Gemm::fp8Product(const uint8_t *x, const float *xScale, const uint8_t *w,
                        float *product, int64_t m, int64_t n, int64_t k,
                        cudaStream_t stream) {
  if (m == 0 || n == 0)
    return Status::success();
  Expected<Plan *> found =
      plan(Operands::fp8, Storage::f32, Epilogue::none, m, n, k);
  if (!found)
    return found.status();
  Plan &p = **found;
  // cuBLASLt's b is x.
  if (Status status =
          blasStatus(lib_.get(),
                     lib_->cublasLtMatmulDescSetAttribute(
                         p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &xScale,
                         sizeof(xScale)),
                     "fp8 input scale");
      !status)
    return status;
  return run(p, w, x, product, stream);
}

Status Gemm::int8Product(const int8_t *x, const int8_t *w, int32_t *product,
                         int64_t m, int64_t n, int64_t k, cudaStream_t stream) {
  if (m == 0 || n == 0)
    return Status::success();
  Expected<Plan *> found =
      plan(Operands::int8, Storage::f32, Epilogue::none, m, n, k);
  if (!found)
    return found.status();
  return run(**found, w, x, product, stream);
}

Status Gemm::run(Plan &p, const void *a, const void *b, void *d,
                 cudaStream_t stream) {
  // alpha and beta are of the descriptor's scale type: int32 for int8.
  const float one = 1.0f, zero = 0.0f;
  const int32_t intOne = 1, intZero = 0;
  return blasStatus(
      lib_.get(),
      lib_->cublasLtMatmul(
          static_cast<cublasLtHandle_t>(handle_), p.desc,
          p.integer ? static_cast<const void *>(&intOne) : &one, a, p.a, b, p.b,
          p.integer ? static_cast<const void *>(&intZero) : &zero, d, p.d, d,
          p.d, &p.algo, workspace_, workspaceBytes_, stream),
      "matmul");
}

} // namespace llmc::runtime
