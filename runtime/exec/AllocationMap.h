//===- AllocationMap.h - which addresses a device allocated ---------------===//
//
// A device whose memory the host cannot tell from its own (a GPU's, or the
// staged CPU device's) records each allocation here, so that Device::owns
// can say whether an argument is already in device memory or must be
// copied in.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_ALLOCATIONMAP_H
#define LLMC_RUNTIME_EXEC_ALLOCATIONMAP_H

#include <cstdint>
#include <map>
#include <mutex>

namespace llmc::runtime {

class AllocationMap {
public:
  void add(const void *start, uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_[reinterpret_cast<uintptr_t>(start)] = bytes;
  }
  void remove(const void *start) {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_.erase(reinterpret_cast<uintptr_t>(start));
  }
  /// Whether `address` lies in a recorded allocation.
  bool contains(const void *address) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto at = reinterpret_cast<uintptr_t>(address);
    auto after = ranges_.upper_bound(at);
    if (after == ranges_.begin())
      return false;
    --after;
    return at < after->first + after->second;
  }

private:
  mutable std::mutex mutex_;
  std::map<uintptr_t, uint64_t> ranges_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_ALLOCATIONMAP_H
