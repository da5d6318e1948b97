//===- NcclCommunicator.cpp - GPU ranks' communicator over NCCL -----------===//
//
// See NcclCommunicator.h. Built where the CUDA toolkit (and its NCCL) is;
// libnccl is opened with dlopen, as cuBLASLt is (runtime/cuda/Gemm.cpp),
// so that llmc-run starts where it is missing (it is 200 MiB: a GPU
// machine has it from its CUDA or PyTorch) and a GPU rank's run says so.
//
//===----------------------------------------------------------------------===//

#include "runtime/parallel/NcclCommunicator.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <nccl.h>

#include <cstdlib>
#include <limits>
#include <map>

namespace llmc::runtime {

namespace {

/// The NCCL entry points llmc uses, looked up in the loaded library.
struct NcclLibrary {
  void *module = nullptr;
#define LLMC_NCCL_FUNCTIONS(X)                                                 \
  X(ncclGetUniqueId)                                                           \
  X(ncclCommInitRank)                                                          \
  X(ncclCommDestroy)                                                           \
  X(ncclCommAbort)                                                             \
  X(ncclCommSplit)                                                             \
  X(ncclCommUserRank)                                                          \
  X(ncclCommCount)                                                             \
  X(ncclAllReduce)                                                             \
  X(ncclAllGather)                                                             \
  X(ncclSend)                                                                  \
  X(ncclRecv)                                                                  \
  X(ncclBroadcast)                                                             \
  X(ncclGetErrorString)                                                        \
  X(ncclGetLastError)
#define LLMC_DECLARE(name) decltype(&::name) name = nullptr;
  LLMC_NCCL_FUNCTIONS(LLMC_DECLARE)
#undef LLMC_DECLARE
};

/// libnccl, loaded on the first call and kept, or why it cannot be.
Expected<const NcclLibrary *> loadNccl() {
  static NcclLibrary lib;
  static std::string error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    const std::string name = "libnccl.so." + std::to_string(NCCL_MAJOR);
    lib.module = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib.module)
      error = "cannot load " + name + " (NCCL " + std::to_string(NCCL_MAJOR) +
              ", which GPU ranks talk through): " + dlerror();
#define LLMC_RESOLVE(function)                                                 \
  if (lib.module && error.empty()) {                                           \
    lib.function = reinterpret_cast<decltype(lib.function)>(                   \
        dlsym(lib.module, #function));                                         \
    if (!lib.function)                                                         \
      error = name + " has no " #function;                                     \
  }
    LLMC_NCCL_FUNCTIONS(LLMC_RESOLVE)
#undef LLMC_RESOLVE
  }
  if (!error.empty())
    return Status::error(error);
  return &lib;
}

class NcclCommunicator final : public Communicator {
public:
  NcclCommunicator(const NcclLibrary &nccl, ncclComm_t comm,
                   cudaStream_t stream, int64_t rank, int64_t size,
                   Communicator &bootstrap)
      : nccl_(nccl), comm_(comm), stream_(stream), rank_(rank), size_(size),
        bootstrap_(bootstrap) {}
  ~NcclCommunicator() override {
    for (auto &[ticket, event] : pending_)
      cudaEventDestroy(event.first);
    cudaFree(scratch_);
    nccl_.ncclCommDestroy(comm_);
  }

  int64_t rank() const override { return rank_; }
  int64_t size() const override { return size_; }

  Status allReduceSum(const void *input, void *output, int64_t count,
                      DType dtype) override {
    ncclDataType_t type;
    if (dtype == DType::f32)
      type = ncclFloat32;
    else if (dtype == DType::f16)
      type = ncclFloat16;
    else
      return failed(std::string("all-reduce of ") + dtypeName(dtype) +
                    " is not supported (f32 and f16 are)");
    return check(nccl_.ncclAllReduce(input, output, size_t(count), type,
                                     ncclSum, comm_, stream_),
                 "all-reduce");
  }

  Status allGather(const void *input, void *output, int64_t rows,
                   int64_t columns, DType dtype) override {
    const size_t rowBytes = size_t(columns * dtypeBytes(dtype)),
                 block = size_t(rows) * rowBytes;
    if (rows == 1)
      return check(
          nccl_.ncclAllGather(input, output, block, ncclInt8, comm_, stream_),
          "all-gather");
    // NCCL joins whole blocks; each row holds every rank's columns, so
    // the blocks land in scratch and then go into place, rank q's at
    // q x rowBytes in each row.
    if (Status status = reserve(block * size_t(size_)); !status)
      return status;
    if (Status status = check(nccl_.ncclAllGather(input, scratch_, block,
                                                  ncclInt8, comm_, stream_),
                              "all-gather");
        !status)
      return status;
    for (int64_t q = 0; q < size_; ++q)
      if (cudaError_t error = cudaMemcpy2DAsync(
              static_cast<char *>(output) + q * rowBytes,
              rowBytes * size_t(size_),
              static_cast<char *>(scratch_) + q * block, rowBytes, rowBytes,
              size_t(rows), cudaMemcpyDeviceToDevice, stream_);
          error != cudaSuccess)
        return failed(std::string("all-gather: ") + cudaGetErrorString(error));
    return Status::success();
  }

  Status send(const void *data, uint64_t bytes, int64_t to) override {
    return check(nccl_.ncclSend(data, bytes, ncclInt8, int(to), comm_, stream_),
                 "send to rank " + std::to_string(to));
  }

  Status recv(void *data, uint64_t bytes, int64_t from) override {
    return check(
        nccl_.ncclRecv(data, bytes, ncclInt8, int(from), comm_, stream_),
        "receive from rank " + std::to_string(from));
  }

  Expected<int64_t> startSend(const void *data, uint64_t bytes,
                              int64_t to) override {
    if (Status status = send(data, bytes, to); !status)
      return status;
    cudaEvent_t event;
    if (cudaError_t error =
            cudaEventCreateWithFlags(&event, cudaEventDisableTiming);
        error != cudaSuccess)
      return failed(std::string("send: ") + cudaGetErrorString(error));
    cudaEventRecord(event, stream_);
    pending_[next_] = {event, to};
    return next_++;
  }

  Status wait(int64_t ticket) override {
    auto found = pending_.find(ticket);
    if (found == pending_.end())
      return failed("no send " + std::to_string(ticket) + " to wait for");
    auto [event, to] = found->second;
    pending_.erase(found);
    cudaError_t error = cudaEventSynchronize(event);
    cudaEventDestroy(event);
    if (error != cudaSuccess)
      return failed("send to rank " + std::to_string(to) + ": " +
                    cudaGetErrorString(error));
    return Status::success();
  }

  Status broadcast(void *data, uint64_t bytes, int64_t root) override {
    return check(nccl_.ncclBroadcast(data, data, bytes, ncclInt8, int(root),
                                     comm_, stream_),
                 "broadcast from rank " + std::to_string(root));
  }

  Expected<std::unique_ptr<Communicator>> split(int64_t color,
                                                int64_t key) override {
    ncclComm_t part;
    if (Status status = check(
            nccl_.ncclCommSplit(comm_, int(color), int(key), &part, nullptr),
            "split");
        !status)
      return status;
    int rank = 0, count = 0;
    nccl_.ncclCommUserRank(part, &rank);
    nccl_.ncclCommCount(part, &count);
    return std::unique_ptr<Communicator>(
        new NcclCommunicator(nccl_, part, stream_, rank, count, bootstrap_));
  }

  [[noreturn]] void abort(int code) override {
    nccl_.ncclCommAbort(comm_);
    bootstrap_.abort(code);
    std::_Exit(code); // the bootstrap's abort does not return
  }

private:
  Status check(ncclResult_t result, const std::string &what) const {
    if (result == ncclSuccess)
      return Status::success();
    const char *last = nccl_.ncclGetLastError(comm_);
    return failed(what + " failed: " + nccl_.ncclGetErrorString(result) +
                  (last && *last ? std::string(" (") + last + ")" : ""));
  }

  Status reserve(size_t bytes) {
    if (bytes <= scratchBytes_)
      return Status::success();
    // The stream's earlier work may still read the old scratch.
    cudaStreamSynchronize(stream_);
    cudaFree(scratch_);
    scratch_ = nullptr;
    scratchBytes_ = 0;
    if (cudaError_t error = cudaMalloc(&scratch_, bytes); error != cudaSuccess)
      return failed(std::string("all-gather scratch: ") +
                    cudaGetErrorString(error));
    scratchBytes_ = bytes;
    return Status::success();
  }

  const NcclLibrary &nccl_;
  ncclComm_t comm_;
  cudaStream_t stream_;
  int64_t rank_, size_;
  Communicator &bootstrap_;
  void *scratch_ = nullptr;
  size_t scratchBytes_ = 0;
  /// startSend's events and destinations, by ticket.
  std::map<int64_t, std::pair<cudaEvent_t, int64_t>> pending_;
  int64_t next_ = 0;
};

} // namespace

Expected<std::unique_ptr<Communicator>>
ncclCommunicator(Communicator &bootstrap, void *stream) {
  const std::string rank = "rank " + std::to_string(bootstrap.rank()) + ": ";
  Expected<const NcclLibrary *> loaded = loadNccl();
  if (!loaded)
    return Status::error(rank + loaded.status().message());
  const NcclLibrary &nccl = **loaded;
  ncclUniqueId id;
  if (bootstrap.rank() == 0)
    if (ncclResult_t result = nccl.ncclGetUniqueId(&id); result != ncclSuccess)
      return Status::error(
          rank + "NCCL's unique id: " + nccl.ncclGetErrorString(result));
  if (Status status = bootstrap.broadcast(&id, sizeof id, 0); !status)
    return status;
  ncclComm_t comm;
  if (ncclResult_t result = nccl.ncclCommInitRank(&comm, int(bootstrap.size()),
                                                  id, int(bootstrap.rank()));
      result != ncclSuccess)
    return Status::error(rank + "joining NCCL's " +
                         std::to_string(bootstrap.size()) +
                         " ranks failed: " + nccl.ncclGetErrorString(result));
  return std::unique_ptr<Communicator>(
      new NcclCommunicator(nccl, comm, static_cast<cudaStream_t>(stream),
                           bootstrap.rank(), bootstrap.size(), bootstrap));
}

} // namespace llmc::runtime
