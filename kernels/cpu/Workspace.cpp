//===- Workspace.cpp - a thread's working memory for one kernel call ------===//

#include "kernels/cpu/Workspace.h"

#include <cstdio>
#include <cstdlib>

namespace llmc::kernels {

void *Workspace::takeBytes(int64_t bytes) {
  auto start = reinterpret_cast<uint8_t *>(
      (reinterpret_cast<uintptr_t>(at_) + 63) / 64 * 64);
  if (bytes < 0 || start > end_ || bytes > end_ - start) {
    std::fprintf(stderr,
                 "llmc: a kernel asked %lld bytes of a workspace with %lld "
                 "left (its size does not bound the kernel's use)\n",
                 static_cast<long long>(bytes),
                 static_cast<long long>(start > end_ ? 0 : end_ - start));
    std::abort();
  }
  at_ = start + bytes;
  return start;
}

} // namespace llmc::kernels
