//===- StagedDevice.h - the CPU behind the GPU's device path, for tests ---===//
//
// `llmc-run --device cpu-staged` runs a cpu artifact's plan with the CPU
// kernels but through everything the GPU path does around them, so it is
// tested where there is no GPU:
// - its memory is not the host's: arguments are copied in (host memory is
//   recognized by owns()), results copied out through hostView;
// - the sampler's candidates are selected on the "device" (candidates(),
//   as a GPU does), so sampling from them is checked against sampling from
//   whole rows;
// - decode steps go through replay(), and a key's second call records a
//   fingerprint of every launch (each step's parameters and its inputs' and
//   outputs' addresses and extents) that later calls must reproduce, as a
//   CUDA graph replays them. A key that would replay the wrong launches is
//   an error naming the step.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CPU_STAGEDDEVICE_H
#define LLMC_RUNTIME_CPU_STAGEDDEVICE_H

#include "runtime/cpu/CpuDevice.h"
#include "runtime/exec/AllocationMap.h"
#include "runtime/exec/RecordingDevice.h"

#include <map>

namespace llmc::runtime {

class StagedDevice final : public RecordingDevice {
public:
  std::string name() const override { return "cpu-staged"; }
  bool hostVisible() const override { return false; }
  KernelFn kernel(const std::string &name) const override {
    return cpu_.kernel(name);
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
  void prepare(KernelContext &context) override;
  Status synchronize() override { return Status::success(); }

private:
  // A replay runs the steps and checks their launches against the
  // recording (replays() counts the calls a GPU would have replayed).
  bool hasRecording(const std::string &key) const override {
    return recorded_.count(key) != 0;
  }
  Expected<bool> record(const std::string &key,
                        const std::function<Status()> &steps) override;
  Expected<bool> replayRecording(const std::string &key,
                                 const std::function<Status()> &steps) override;
  /// Runs `steps`, noting their launches.
  Status runNoting(const std::function<Status()> &steps,
                   std::vector<std::string> &launches);

  CpuDevice cpu_;
  AllocationMap allocations_;
  std::vector<Memory> weights_;
  /// Per key, the launches of the recorded call; the launches of the call
  /// in progress.
  std::map<std::string, std::vector<std::string>> recorded_;
  std::vector<std::string> *launches_ = nullptr;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CPU_STAGEDDEVICE_H
