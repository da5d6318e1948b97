//===- artifact.cpp - fuzzing the artifact loader -------------------------===//
//
// Input: an artifact, opened from a memory file, every section read. The
// fuzz build (LLMC_FUZZING) skips the checksums, so the fuzzer's changes
// reach the header, manifest and section checks behind them.
//
//===----------------------------------------------------------------------===//

#include "runtime/format/Artifact.h"

#include <sys/mman.h>
#include <unistd.h>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-artifact", 0);
  if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size))
    __builtin_trap();
  llmc::runtime::Expected<llmc::runtime::Artifact> artifact =
      llmc::runtime::Artifact::open("/proc/self/fd/" + std::to_string(fd));
  if (artifact)
    for (const std::string &name : artifact->sectionNames())
      (void)artifact->section(name);
  close(fd);
  return 0;
}
