//===- Clock.h - wall-clock intervals in milliseconds ---------------------===//
//
// The one clock the runtime and its tools time things with (TTFT, TPOT,
// the speculative decoder's draft and verify costs).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SUPPORT_CLOCK_H
#define LLMC_RUNTIME_SUPPORT_CLOCK_H

#include <chrono>

namespace llmc::runtime {

using Clock = std::chrono::steady_clock;

/// Milliseconds from `start` to now.
inline double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SUPPORT_CLOCK_H
