//===- token_file.cpp - fuzzing the token-id file reader ------------------===//
//
// Input: a token-id file (llmc compile --calib, llmc-run eval --ids), read
// from a memory file.
//
//===----------------------------------------------------------------------===//

#include "runtime/support/TokenFile.h"

#include <sys/mman.h>
#include <unistd.h>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-token-file", 0);
  if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size))
    __builtin_trap();
  (void)llmc::runtime::readTokenFile("/proc/self/fd/" + std::to_string(fd));
  close(fd);
  return 0;
}
