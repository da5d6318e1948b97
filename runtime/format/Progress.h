//===- Progress.h - a long job's progress on standard error ---------------===//
//
// For work that takes a while (calibration, GPTQ/AWQ weight by weight,
// eval over passages, bench's runs): on a terminal one line rewritten in
// place, e.g. "llmc-quantize-gptq: 12/28 weights, 3.1 s, about 4.2 s
// left", at most ten times a second; when standard error is not a
// terminal a plain line every 5 s and one at the end; nothing at all once
// setQuiet(true) (--quiet), or for a job that ends before its first line
// is due (1 s on a terminal, 5 s otherwise).
// Lives with Status: every layer (passes, compiler, runtime, tools) may
// report progress.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_PROGRESS_H
#define LLMC_RUNTIME_FORMAT_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace llmc::runtime {

class Progress {
public:
  /// No progress from this process (--quiet).
  static void setQuiet(bool quiet);

  /// `what` ("eval"), `total` steps of `unit` ("passages").
  Progress(std::string what, int64_t total, std::string unit);
  /// finish().
  ~Progress();
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  /// `done` of the steps are done.
  void update(int64_t done);
  int64_t total() const { return total_; }
  /// The last line (when any was shown), ending the line in place.
  void finish();
  /// Every step is done: update(total), then finish().
  void complete();
  /// Clears a terminal's line for other output; the next update draws it
  /// again.
  void erase();

private:
  void show(bool last);

  std::string what_, unit_;
  int64_t total_, done_ = 0;
  bool terminal_, shown_ = false, finished_ = false;
  std::chrono::steady_clock::time_point start_, printed_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_FORMAT_PROGRESS_H
