//===- CudaDevice.cpp - a GPU as the device a cuda artifact runs on -------===//

#include "runtime/cuda/CudaDevice.h"

#include "kernels/cuda/DeviceProbe.h"
#include "kernels/cuda/Sampling.h"
#include "kernels/cuda/Transformer.h"
#include "runtime/cuda/CudaContext.h"
#include "runtime/cuda/CudaKernels.h"
#include "runtime/exec/AllocationMap.h"
#include "runtime/exec/RecordingDevice.h"
#include "runtime/parallel/NcclCommunicator.h"

#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace llmc::runtime {

namespace kc = llmc::kernels::cuda;

Status cudaStatus(cudaError_t error, const std::string &what) {
  if (error == cudaSuccess)
    return Status::success();
  return Status::error(what + ": " + cudaGetErrorName(error) + " (" +
                       cudaGetErrorString(error) + ")");
}

Status launched(cudaError_t error, const char *kernel) {
  return cudaStatus(error, std::string("launching ") + kernel);
}

Expected<kc::Storage> storageOf(DType dtype) {
  switch (dtype) {
  case DType::f32:
    return kc::Storage::f32;
  case DType::f16:
    return kc::Storage::f16;
  case DType::bf16:
    return kc::Storage::bf16;
  default:
    return Status::error(
        std::string("CUDA kernels take f32, f16 or bf16, not ") +
        dtypeName(dtype));
  }
}

Expected<cudaKernel_t> CudaContext::generatedKernel(int64_t index) {
  if (auto found = generatedKernels.find(index);
      found != generatedKernels.end())
    return found->second;
  if (generated.empty())
    return Status::error("the artifact has no \"cuda fatbin\" section with "
                         "its generated kernels");
  std::string name = "llmc_fused_" + std::to_string(index);
  cudaKernel_t kernel = nullptr;
  for (cudaLibrary_t library : generated)
    if (cudaLibraryGetKernel(&kernel, library, name.c_str()) == cudaSuccess) {
      generatedKernels[index] = kernel;
      return kernel;
    }
  cudaGetLastError(); // the failed lookups' error, cleared
  return Status::error("the artifact's generated kernels have no " + name);
}

Expected<void *> CudaContext::scratch(int slot, uint64_t bytes) {
  Scratch &s = scratchSlots[slot];
  if (s.bytes < bytes) {
    // The old buffer may still be read by work in flight.
    if (Status status =
            cudaStatus(cudaStreamSynchronize(stream), "scratch memory");
        !status)
      return status;
    if (s.memory) {
      cudaFree(s.memory);
      ++scratchMoves;
    }
    s = {};
    if (Status status =
            cudaStatus(cudaMalloc(&s.memory, bytes),
                       "scratch memory of " + std::to_string(bytes) + " bytes");
        !status)
      return status;
    s.bytes = bytes;
  }
  return s.memory;
}

namespace {

/// The ordinal of the GPU that rank `local` of `localRanks` on this node
/// uses, or why there is none.
Expected<int> selectDevice(const Target &target, int64_t local,
                           int64_t localRanks) {
  std::string needs = "the artifact targets " + target.str() +
                      " and needs an NVIDIA GPU of architecture " +
                      target.archList() + " or newer";
  std::string why;
  int count = kc::countDevices(&why);
  if (count == 0)
    return Status::error(needs + "; none is usable here: " + why);
  std::string found;
  int firstArch = 0;
  std::vector<int> usable;
  for (int ordinal = 0; ordinal < count; ++ordinal) {
    kc::DeviceInfo info;
    std::string error;
    if (!kc::queryDevice(ordinal, info, error))
      return Status::error(needs + "; device " + std::to_string(ordinal) +
                           ": " + error);
    int arch = info.computeMajor * 10 + info.computeMinor;
    std::string name = "device " + std::to_string(ordinal) + " (" + info.name +
                       ", sm_" + std::to_string(arch) + ")";
    if (!target.runsOn(arch)) {
      found += (found.empty() ? "" : ", ") + name;
      if (!firstArch)
        firstArch = arch;
      continue;
    }
    if (!kc::probeKernelLaunch(ordinal, error))
      return Status::error(name +
                           " cannot run the kernels built into this "
                           "llmc-run (rebuild it with "
                           "CMAKE_CUDA_ARCHITECTURES including " +
                           std::to_string(arch) + "): " + error);
    usable.push_back(ordinal);
  }
  if (int64_t(usable.size()) >= localRanks)
    return usable[size_t(local)];
  if (!usable.empty())
    return Status::error(
        std::to_string(localRanks) +
        " ranks run on this node, a GPU each, but it has " +
        std::to_string(usable.size()) + " that run " + target.str() +
        (found.empty() ? "" : " (and " + found + ")") + ": start at most " +
        std::to_string(usable.size()) + " ranks per node");
  return Status::error(needs + "; found " + found +
                       ": compile the model again with --target cuda:sm_" +
                       std::to_string(firstArch));
}

constexpr uint64_t kStagingBytes = 16u << 20;

class CudaDevice final : public RecordingDevice {
public:
  static Expected<std::unique_ptr<Device>> open(int ordinal,
                                                const Artifact &artifact);
  ~CudaDevice() override;

  std::string name() const override { return name_; }
  bool hostVisible() const override { return false; }
  double peakBandwidth() const override { return peakBandwidth_; }
  KernelFn kernel(const std::string &name) const override {
    return findCudaKernel(name);
  }
  Expected<Memory> allocate(uint64_t bytes) override;
  bool owns(const void *data) const override;
  Status toDevice(uint8_t *device, const void *host, uint64_t bytes) override;
  Status toHost(void *host, const uint8_t *device, uint64_t bytes) override;
  Status fill(uint8_t *device, uint8_t value, uint64_t bytes) override;
  Expected<const uint8_t *> weight(const uint8_t *host,
                                   uint64_t bytes) override;
  Expected<std::optional<Candidates>>
  candidates(const Tensor &logits, const CandidateQuery &query) override;
  void prepare(KernelContext &context) override { context.cuda = &context_; }
  Expected<std::unique_ptr<Communicator>>
  ranksOver(Communicator &host) override {
    // NCCL on this GPU, ordered on the stream the plan's kernels run on.
    if (Status status =
            cudaStatus(cudaSetDevice(context_.ordinal), "cudaSetDevice");
        !status)
      return status;
    return ncclCommunicator(host, context_.stream);
  }
  Status synchronize() override;

private:
  CudaDevice() = default;
  // CUDA graphs, one per key.
  void forgetStaleRecordings() override;
  bool hasRecording(const std::string &key) const override {
    return graphs_.count(key) != 0;
  }
  Expected<bool> record(const std::string &key,
                        const std::function<Status()> &steps) override;
  Expected<bool> replayRecording(const std::string &key,
                                 const std::function<Status()> &steps) override;

  std::string name_;
  double peakBandwidth_ = 0;
  CudaContext context_;
  std::unique_ptr<Gemm> gemm_;
  /// Live allocations, for owns().
  AllocationMap allocations_;
  std::vector<Memory> weights_;
  /// Uploaded weights by their host bytes: where they are, and how many.
  std::map<const uint8_t *, std::pair<const uint8_t *, uint64_t>> uploaded_;
  std::map<std::string, cudaGraphExec_t> graphs_;
  /// context_.scratchMoves when graphs_ were last known to be valid.
  uint64_t scratchMovesSeen_ = 0;
  /// Two pinned buffers the weights are staged through, with the event
  /// that says when each is free again.
  void *staging_[2] = {nullptr, nullptr};
  cudaEvent_t stagingFree_[2] = {nullptr, nullptr};
  int nextStaging_ = 0;
};

Expected<std::unique_ptr<Device>> CudaDevice::open(int ordinal,
                                                   const Artifact &artifact) {
  std::unique_ptr<CudaDevice> device(new CudaDevice());
  CudaContext &c = device->context_;
  c.ordinal = ordinal;
  kc::DeviceInfo info;
  std::string error;
  if (!kc::queryDevice(ordinal, info, error))
    return Status::error(error);
  device->name_ = "cuda:" + std::to_string(ordinal) + " (" + info.name + ")";
  c.arch = info.computeMajor * 10 + info.computeMinor;
  c.multiprocessors = info.multiprocessors;
  if (Status status = cudaStatus(cudaSetDevice(ordinal), "cudaSetDevice");
      !status)
    return status;
  // Double data rate: two transfers per memory clock across the bus.
  int clockKhz = 0, busBits = 0;
  if (cudaDeviceGetAttribute(&clockKhz, cudaDevAttrMemoryClockRate, ordinal) ==
          cudaSuccess &&
      cudaDeviceGetAttribute(&busBits, cudaDevAttrGlobalMemoryBusWidth,
                             ordinal) == cudaSuccess)
    device->peakBandwidth_ = 2.0 * clockKhz * 1e3 * busBits / 8;
  else
    cudaGetLastError(); // no bandwidth figure, and no error for a launch
  if (Status status = cudaStatus(
          cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking),
          "creating a stream");
      !status)
    return status;
  void *errors = nullptr;
  if (Status status =
          cudaStatus(cudaMalloc(&errors, sizeof(unsigned)), "the error word");
      !status)
    return status;
  c.errors = static_cast<unsigned *>(errors);
  if (Status status = cudaStatus(cudaMemset(c.errors, 0, sizeof(unsigned)),
                                 "the error word");
      !status)
    return status;
  Expected<std::unique_ptr<Gemm>> gemm = Gemm::open();
  if (!gemm)
    return gemm.status();
  device->gemm_ = std::move(*gemm);
  c.gemm = device->gemm_.get();
  for (const std::string &section : artifact.sectionNames())
    if (section == "cuda fatbin" || section == "draft cuda fatbin") {
      Expected<Bytes> fatbin = artifact.section(section);
      if (!fatbin)
        return fatbin.status();
      cudaLibrary_t library = nullptr;
      if (Status status = cudaStatus(
              cudaLibraryLoadData(&library, fatbin->data, nullptr, nullptr, 0,
                                  nullptr, nullptr, 0),
              "loading the artifact's generated kernels (\"" + section + "\")");
          !status)
        return status;
      c.generated.push_back(library);
    }
  for (int i = 0; i < 2; ++i) {
    if (Status status =
            cudaStatus(cudaMallocHost(&device->staging_[i], kStagingBytes),
                       "pinned staging memory");
        !status)
      return status;
    if (Status status =
            cudaStatus(cudaEventCreateWithFlags(&device->stagingFree_[i],
                                                cudaEventDisableTiming),
                       "an event");
        !status)
      return status;
  }
  return std::unique_ptr<Device>(std::move(device));
}

CudaDevice::~CudaDevice() {
  if (context_.stream)
    cudaStreamSynchronize(context_.stream);
  for (auto &[key, graph] : graphs_)
    cudaGraphExecDestroy(graph);
  weights_.clear();
  uploaded_.clear();
  gemm_.reset();
  for (CudaContext::Scratch &s : context_.scratchSlots)
    cudaFree(s.memory);
  for (int i = 0; i < 2; ++i) {
    if (stagingFree_[i])
      cudaEventDestroy(stagingFree_[i]);
    cudaFreeHost(staging_[i]);
  }
  for (cudaLibrary_t library : context_.generated)
    cudaLibraryUnload(library);
  cudaFree(context_.errors);
  if (context_.stream)
    cudaStreamDestroy(context_.stream);
}

Expected<Device::Memory> CudaDevice::allocate(uint64_t bytes) {
  if (bytes == 0)
    return Memory();
  void *memory = nullptr;
  if (Status status = cudaStatus(cudaMalloc(&memory, bytes),
                                 "allocating " + std::to_string(bytes) +
                                     " bytes on " + name_);
      !status)
    return status;
  allocations_.add(memory, bytes);
  return Memory(static_cast<uint8_t *>(memory), [this](uint8_t *p) {
    allocations_.remove(p);
    cudaFree(p);
  });
}

bool CudaDevice::owns(const void *data) const {
  return allocations_.contains(data);
}

Status CudaDevice::toDevice(uint8_t *device, const void *host, uint64_t bytes) {
  return cudaStatus(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice,
                                    context_.stream),
                    "copying to " + name_);
}

Status CudaDevice::toHost(void *host, const uint8_t *device, uint64_t bytes) {
  if (Status status =
          cudaStatus(cudaMemcpyAsync(host, device, bytes,
                                     cudaMemcpyDeviceToHost, context_.stream),
                     "copying from " + name_);
      !status)
    return status;
  return synchronize();
}

Status CudaDevice::fill(uint8_t *device, uint8_t value, uint64_t bytes) {
  return cudaStatus(cudaMemsetAsync(device, value, bytes, context_.stream),
                    "filling memory on " + name_);
}

Expected<const uint8_t *> CudaDevice::weight(const uint8_t *host,
                                             uint64_t bytes) {
  // A section both the target's and the draft's plans read is uploaded
  // once.
  if (auto found = uploaded_.find(host);
      found != uploaded_.end() && found->second.second == bytes)
    return found->second.first;
  Expected<Memory> memory = allocate(bytes);
  if (!memory)
    return memory.status().withContext("a weight");
  for (uint64_t done = 0; done < bytes; done += kStagingBytes) {
    uint64_t chunk = std::min(kStagingBytes, bytes - done);
    int i = nextStaging_;
    nextStaging_ ^= 1;
    if (Status status = cudaStatus(cudaEventSynchronize(stagingFree_[i]),
                                   "uploading a weight");
        !status)
      return status;
    std::memcpy(staging_[i], host + done, chunk);
    if (Status status =
            cudaStatus(cudaMemcpyAsync(memory->get() + done, staging_[i], chunk,
                                       cudaMemcpyHostToDevice, context_.stream),
                       "uploading a weight");
        !status)
      return status;
    if (Status status = cudaStatus(
            cudaEventRecord(stagingFree_[i], context_.stream), "an event");
        !status)
      return status;
  }
  weights_.push_back(*memory);
  uploaded_[host] = {static_cast<const uint8_t *>(memory->get()), bytes};
  return static_cast<const uint8_t *>(memory->get());
}

void CudaDevice::forgetStaleRecordings() {
  // scratch() synchronized the stream before it moved a buffer, so none of
  // these graphs is in flight.
  if (context_.scratchMoves == scratchMovesSeen_)
    return;
  for (auto &[key, graph] : graphs_)
    cudaGraphExecDestroy(graph);
  graphs_.clear();
  scratchMovesSeen_ = context_.scratchMoves;
}

Expected<bool>
CudaDevice::replayRecording(const std::string &key,
                            const std::function<Status()> &steps) {
  (void)steps;
  if (Status status =
          cudaStatus(cudaGraphLaunch(graphs_.at(key), context_.stream),
                     "replaying a CUDA graph");
      !status)
    return status;
  return false;
}

Expected<bool> CudaDevice::record(const std::string &key,
                                  const std::function<Status()> &steps) {
  // Record what the steps enqueue (the host side runs as usual), then
  // launch the recording.
  if (Status status = cudaStatus(
          cudaStreamBeginCapture(context_.stream, cudaStreamCaptureModeRelaxed),
          "starting a CUDA graph capture");
      !status)
    return status;
  Status stepsStatus = steps();
  cudaGraph_t graph = nullptr;
  cudaError_t captured = cudaStreamEndCapture(context_.stream, &graph);
  if (!stepsStatus || captured != cudaSuccess) {
    if (graph)
      cudaGraphDestroy(graph);
    if (!stepsStatus)
      return stepsStatus;
    return cudaStatus(captured, "capturing a CUDA graph");
  }
  cudaGraphExec_t exec = nullptr;
  cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  if (Status status = cudaStatus(made, "instantiating a CUDA graph"); !status)
    return status;
  graphs_[key] = exec;
  if (Status status = cudaStatus(cudaGraphLaunch(exec, context_.stream),
                                 "launching a CUDA graph");
      !status)
    return status;
  return true;
}

Expected<std::optional<Device::Candidates>>
CudaDevice::candidates(const Tensor &logits, const CandidateQuery &query) {
  Expected<kc::Storage> type = storageOf(logits.dtype);
  if (!type || !query.any())
    return std::optional<Candidates>();
  int64_t vocab = logits.shape.empty() ? 0 : logits.shape.back();
  if (vocab <= 0 || query.k > vocab)
    return std::optional<Candidates>();
  int64_t rows = logits.elements() / vocab;
  // Room for ties at the k-th value, or for a flat nucleus; more falls
  // back to the whole rows.
  int64_t capacity = query.k > 0 ? std::max<int64_t>(2 * query.k, 256) : 4096;
  uint64_t bytes = rows * capacity * (sizeof(float) + sizeof(int64_t)) +
                   rows * (sizeof(int64_t) + sizeof(float));
  Expected<void *> scratch = context_.scratch(3, bytes);
  if (!scratch)
    return scratch.status();
  auto *values = static_cast<float *>(*scratch);
  auto *ids = reinterpret_cast<int64_t *>(values + rows * capacity);
  int64_t *counts = ids + rows * capacity;
  auto *rests = reinterpret_cast<float *>(counts + rows);
  kc::CandidateRequest request{query.k, query.mass, query.temperature};
  if (Status status =
          cudaStatus(kc::selectCandidates(*type, logits.data, rows, vocab,
                                          request, capacity, values, ids,
                                          counts, rests, context_.stream),
                     "launching the sampling candidates' kernel");
      !status)
    return status;
  // The counts and rests lie together: one copy, then only what was found.
  std::vector<uint8_t> head(rows * (sizeof(int64_t) + sizeof(float)));
  if (Status status = toHost(
          head.data(), reinterpret_cast<const uint8_t *>(counts), head.size());
      !status)
    return status;
  const auto *found = reinterpret_cast<const int64_t *>(head.data());
  const auto *rest = reinterpret_cast<const float *>(found + rows);
  Candidates result;
  result.offsets.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    if (found[r] > capacity)
      return std::optional<Candidates>();
    result.offsets.push_back(result.offsets.back() + found[r]);
    result.rest.push_back(rest[r]);
  }
  result.logits.resize(result.offsets.back());
  result.ids.resize(result.offsets.back());
  for (int64_t r = 0; r < rows; ++r) {
    size_t at = result.offsets[r];
    if (Status status = cudaStatus(
            cudaMemcpyAsync(result.logits.data() + at, values + r * capacity,
                            found[r] * sizeof(float), cudaMemcpyDeviceToHost,
                            context_.stream),
            "copying from " + name_);
        !status)
      return status;
    if (Status status = cudaStatus(
            cudaMemcpyAsync(result.ids.data() + at, ids + r * capacity,
                            found[r] * sizeof(int64_t), cudaMemcpyDeviceToHost,
                            context_.stream),
            "copying from " + name_);
        !status)
      return status;
  }
  if (Status status = synchronize(); !status)
    return status;
  return std::optional<Candidates>(std::move(result));
}

Status CudaDevice::synchronize() {
  if (Status status = cudaStatus(cudaStreamSynchronize(context_.stream),
                                 "running on " + name_);
      !status)
    return status;
  unsigned flags = 0;
  if (Status status =
          cudaStatus(cudaMemcpy(&flags, context_.errors, sizeof(flags),
                                cudaMemcpyDeviceToHost),
                     "reading the error word");
      !status)
    return status;
  if (flags == 0)
    return Status::success();
  cudaMemset(context_.errors, 0, sizeof(unsigned));
  std::string what;
  if (flags & kc::kTokenOutOfRange)
    what = "a token id is outside the vocabulary";
  if (flags & kc::kPositionOutOfRange)
    what += std::string(what.empty() ? "" : "; ") +
            "a position is beyond the RoPE tables or the KV cache";
  if (flags & kc::kBlockOutOfRange)
    what += std::string(what.empty() ? "" : "; ") +
            "a KV block table lists a block outside the pool";
  return Status::error(what);
}

} // namespace

Expected<std::unique_ptr<Device>> openCudaDevice(const Target &target,
                                                 const Artifact &artifact,
                                                 int64_t local,
                                                 int64_t localRanks) {
  if (local < 0 || local >= localRanks)
    return Status::error("rank " + std::to_string(local) + " of " +
                         std::to_string(localRanks) + " on this node");
  Expected<int> ordinal = selectDevice(target, local, localRanks);
  if (!ordinal)
    return ordinal.status();
  return CudaDevice::open(*ordinal, artifact);
}

} // namespace llmc::runtime
