//===- Executor.h - runs an entry point of a program on the CPU -----------===//
//
// Binds the entry's symbols from its arguments, points every value at its
// storage (the entry's arena, a weight section, an argument, or the value it
// aliases) and calls the steps in order. Results are views into the arena
// or the arguments, valid until the entry runs again.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_EXECUTOR_H
#define LLMC_RUNTIME_EXEC_EXECUTOR_H

#include "runtime/exec/Program.h"
#include "runtime/support/ThreadPool.h"

#include <map>
#include <memory>

namespace llmc::runtime {

class Executor {
public:
  Executor(const Program &program, ThreadPool &pool)
      : program_(program), pool_(pool) {}

  Expected<std::vector<Tensor>> run(const std::string &entry,
                                    const std::vector<Tensor> &arguments);

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
  struct FreeDeleter {
    void operator()(uint8_t *p) const;
  };
  using Arena = std::unique_ptr<uint8_t, FreeDeleter>;

  const Program &program_;
  ThreadPool &pool_;
  std::map<std::string, std::pair<Arena, uint64_t>> arenas_;
  bool profiling_ = false;
  std::map<std::string, KernelTime> profile_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_EXECUTOR_H
