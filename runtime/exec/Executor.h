//===- Executor.h - runs an entry point of a program on a device ----------===//
//
// Binds the entry's symbols from its arguments, points every value at its
// storage (the entry's arena, a weight section, an argument, or the value it
// aliases) and calls the steps in order on the device (Device.h). Arguments
// in host memory are copied to the device first (on the CPU they are used
// in place). Results are views into the arena or the arguments, in device
// memory, valid until the entry runs again; hostView reads one. The steps
// of "decode" go through Device::replay (a CUDA device records them once
// per batch shape and replays the recording), unless profiling.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_EXECUTOR_H
#define LLMC_RUNTIME_EXEC_EXECUTOR_H

#include "runtime/exec/Device.h"
#include "runtime/exec/Program.h"
#include "runtime/support/ThreadPool.h"

#include <map>
#include <memory>

namespace llmc::runtime {

class Executor {
public:
  Executor(const Program &program, Device &device, ThreadPool &pool)
      : program_(program), device_(device), pool_(pool) {}

  Expected<std::vector<Tensor>> run(const std::string &entry,
                                    const std::vector<Tensor> &arguments);

  /// `tensor` (a result) readable by the host: itself on the CPU or where
  /// it is in host memory already (the device does not own it), else a
  /// copy into `storage`.
  Expected<Tensor> hostView(const Tensor &tensor,
                            std::vector<uint8_t> &storage);

  Device &device() { return device_; }

  /// The ranks a sharded plan's communication kernels talk to (null: one
  /// rank; such a plan's first communication step then fails).
  void setLinks(const RankLinks *links) { links_ = links; }
  const RankLinks *links() const { return links_; }

  /// Where cached_attention sums the attention each cached position
  /// receives, one array per sequence of the next calls (null: nowhere;
  /// KernelContext::attentionReceived).
  void setAttentionReceived(float *const *rows) { received_ = rows; }

  /// Bytes of the arenas allocated so far.
  uint64_t arenaBytes() const;

  /// Time spent per kernel name while profiling is on.
  struct KernelTime {
    int64_t calls = 0;
    double seconds = 0;
  };
  void setProfiling(bool on) { profiling_ = on; }
  const std::map<std::string, KernelTime> &profile() const { return profile_; }
  void clearProfile() { profile_.clear(); }

private:
  /// Device memory of `bytes` or more for `slot`, kept between runs.
  Expected<uint8_t *> buffer(const std::string &slot, uint64_t bytes);

  const Program &program_;
  Device &device_;
  ThreadPool &pool_;
  std::map<std::string, std::pair<Device::Memory, uint64_t>> arenas_;
  /// The results of each replayed recording (Device::replay's key).
  std::map<std::string, std::vector<Tensor>> replayed_;
  const RankLinks *links_ = nullptr;
  float *const *received_ = nullptr;
  bool profiling_ = false;
  std::map<std::string, KernelTime> profile_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_EXECUTOR_H
