//===- StagedDevice.cpp - the CPU behind the GPU's device path, for tests -===//

#include "runtime/cpu/StagedDevice.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace llmc::runtime {

Expected<Device::Memory> StagedDevice::allocate(uint64_t bytes) {
  Expected<Memory> memory = cpu_.allocate(bytes);
  if (!memory || bytes == 0)
    return memory;
  allocations_.add(memory->get(), bytes);
  // Forget the range with the memory.
  Memory inner = *memory;
  return Memory(inner.get(), [this, inner](uint8_t *start) mutable {
    allocations_.remove(start);
    inner.reset();
  });
}

bool StagedDevice::owns(const void *data) const {
  return allocations_.contains(data);
}

Status StagedDevice::toDevice(uint8_t *device, const void *host,
                              uint64_t bytes) {
  if (!owns(device))
    return Status::error("cpu-staged: a copy to memory it does not own");
  std::memcpy(device, host, bytes);
  return Status::success();
}

Status StagedDevice::toHost(void *host, const uint8_t *device, uint64_t bytes) {
  if (!owns(device))
    return Status::error("cpu-staged: a copy from memory it does not own");
  std::memcpy(host, device, bytes);
  return Status::success();
}

Status StagedDevice::fill(uint8_t *device, uint8_t value, uint64_t bytes) {
  if (!owns(device))
    return Status::error("cpu-staged: a fill of memory it does not own");
  std::memset(device, value, bytes);
  return Status::success();
}

Expected<const uint8_t *> StagedDevice::weight(const uint8_t *host,
                                               uint64_t bytes) {
  Expected<Memory> memory = allocate(bytes);
  if (!memory)
    return memory.status();
  std::memcpy(memory->get(), host, bytes);
  weights_.push_back(*memory);
  return static_cast<const uint8_t *>(memory->get());
}

Expected<std::optional<Device::Candidates>>
StagedDevice::candidates(const Tensor &logits, const CandidateQuery &query) {
  if (logits.dtype != DType::f32 || logits.shape.empty() || !query.any())
    return std::optional<Candidates>();
  int64_t vocab = logits.shape.back(), rows = logits.elements() / vocab;
  if (query.k > vocab)
    return std::optional<Candidates>();
  Candidates result;
  result.offsets.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    result.rest.push_back(selectCandidates(logits.as<float>() + r * vocab,
                                           vocab, query, result.logits,
                                           result.ids));
    result.offsets.push_back(result.ids.size());
  }
  return std::optional<Candidates>(std::move(result));
}

void StagedDevice::prepare(KernelContext &context) {
  if (!launches_)
    return;
  // What a recorded launch fixes: parameters, and where and how large
  // every operand is.
  std::string launch =
      std::to_string(reinterpret_cast<uintptr_t>(&context.params));
  for (const Tensor *input : context.inputs) {
    launch +=
        input ? " in " +
                    std::to_string(reinterpret_cast<uintptr_t>(input->data)) +
                    shapeString(input->shape)
              : " absent";
  }
  for (size_t o = 0; o < context.outputs.size(); ++o)
    launch +=
        " out " +
        std::to_string(reinterpret_cast<uintptr_t>(context.outputs[o]->data)) +
        shapeString(context.declared[o]);
  launches_->push_back(launch);
}

Status StagedDevice::runNoting(const std::function<Status()> &steps,
                               std::vector<std::string> &launches) {
  launches_ = &launches;
  Status status = steps();
  launches_ = nullptr;
  return status;
}

Expected<bool> StagedDevice::record(const std::string &key,
                                    const std::function<Status()> &steps) {
  std::vector<std::string> launches;
  if (Status status = runNoting(steps, launches); !status)
    return status;
  recorded_[key] = std::move(launches);
  return true;
}

Expected<bool>
StagedDevice::replayRecording(const std::string &key,
                              const std::function<Status()> &steps) {
  std::vector<std::string> launches;
  if (Status status = runNoting(steps, launches); !status)
    return status;
  const std::vector<std::string> &want = recorded_.at(key);
  for (size_t i = 0; i < std::max(want.size(), launches.size()); ++i)
    if (i >= want.size() || i >= launches.size() || want[i] != launches[i])
      return Status::error("cpu-staged: step " + std::to_string(i) +
                           " differs from the recording of '" + key +
                           "' (a CUDA graph would replay the wrong launch)");
  return true;
}

} // namespace llmc::runtime
