//===- Workspace.h - a thread's working memory for one kernel call --------===//
//
// The quantized linear's intermediates (a row's scales, per-group sums of
// x, dequantized weight rows, ...) come from memory the caller owns: the
// runtime hands each worker thread its piece of the planned per-worker
// scratch (format::quantLinearWorkBytes sizes it), so the compiler's
// memory figure counts them. A call takes pieces front to back; the
// next call starts again at the front.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_WORKSPACE_H
#define LLMC_KERNELS_CPU_WORKSPACE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace llmc::kernels {

class Workspace {
public:
  Workspace(void *memory, int64_t bytes)
      : at_(static_cast<uint8_t *>(memory)),
        end_(static_cast<uint8_t *>(memory) + bytes) {}

  /// Room for `count` T, 64-byte aligned. Taking more than the workspace
  /// holds is a sizing error of the caller's (format::quantLinearWorkBytes
  /// bounds every path): it stops the process, naming the sizes.
  template <typename T> T *take(int64_t count) {
    return static_cast<T *>(takeBytes(count * int64_t(sizeof(T))));
  }

private:
  void *takeBytes(int64_t bytes);

  uint8_t *at_, *end_;
};

/// A workspace that owns its memory: for callers without planned scratch
/// (tests, benchmarks of single kernels).
class OwnedWorkspace {
public:
  explicit OwnedWorkspace(int64_t bytes) : memory_(bytes + 64) {}
  Workspace get() { return Workspace(memory_.data(), memory_.size()); }

private:
  std::vector<uint8_t> memory_;
};

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_WORKSPACE_H
