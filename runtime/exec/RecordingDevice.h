//===- RecordingDevice.h - replay() for devices that record steps ---------===//
//
// A GPU replays decode steps as CUDA graphs; the staged CPU device checks
// that such a replay would be right. Both follow one protocol per key
// (Device::replay): the first call runs the steps as usual (a warm-up that
// sizes scratch memory and plans the GEMMs), the second records them, and
// later calls replay the recording. This class keeps that protocol and its
// counts; a device says how it records and how it replays.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_RECORDINGDEVICE_H
#define LLMC_RUNTIME_EXEC_RECORDINGDEVICE_H

#include "runtime/exec/Device.h"

#include <set>

namespace llmc::runtime {

class RecordingDevice : public Device {
public:
  void setRecording(bool on) override { recording_ = on; }
  bool recording() const override { return recording_; }
  int64_t replays() const override { return replays_; }

  Expected<bool> replay(const std::string &key,
                        const std::function<Status()> &steps) final {
    forgetStaleRecordings();
    if (!recording_ || warmed_.insert(key).second) {
      if (Status status = steps(); !status)
        return status;
      return true;
    }
    if (!hasRecording(key))
      return record(key, steps);
    ++replays_;
    return replayRecording(key, steps);
  }

protected:
  /// Drops recordings that no longer hold (e.g. that read memory since
  /// freed); their keys are recorded again at their next call.
  virtual void forgetStaleRecordings() {}
  virtual bool hasRecording(const std::string &key) const = 0;
  /// The second call of `key`: records what `steps` do while they run.
  /// True when they ran on the host.
  virtual Expected<bool> record(const std::string &key,
                                const std::function<Status()> &steps) = 0;
  /// A later call: replays the recording (or, checking it, runs `steps`).
  /// True when `steps` ran on the host.
  virtual Expected<bool>
  replayRecording(const std::string &key,
                  const std::function<Status()> &steps) = 0;

private:
  bool recording_ = true;
  int64_t replays_ = 0;
  std::set<std::string> warmed_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_RECORDINGDEVICE_H
