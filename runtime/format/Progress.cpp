//===- Progress.cpp - a long job's progress on standard error -------------===//

#include "runtime/format/Progress.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace llmc::runtime {
namespace {

std::atomic<bool> quietProcess{false};

double secondsBetween(std::chrono::steady_clock::time_point a,
                      std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// "3.1 s", "2 min 5 s".
std::string duration(double seconds) {
  char text[32];
  if (seconds < 60)
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  else
    std::snprintf(text, sizeof text, "%d min %d s", int(seconds / 60),
                  int(seconds) % 60);
  return text;
}

} // namespace

void Progress::setQuiet(bool quiet) { quietProcess.store(quiet); }

Progress::Progress(std::string what, int64_t total, std::string unit)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total),
      terminal_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), printed_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done) {
  done_ = done;
  if (quietProcess.load() || finished_)
    return;
  const auto now = std::chrono::steady_clock::now();
  // Nothing for a job that ends within a second; then a terminal's line
  // ten times a second, a pipe's every 5 s.
  if (secondsBetween(start_, now) < (terminal_ ? 1.0 : 0.0) ||
      secondsBetween(printed_, now) < (terminal_ ? 0.1 : 5.0))
    return;
  printed_ = now;
  show(false);
}

void Progress::finish() {
  if (finished_)
    return;
  finished_ = true;
  if (shown_ && !quietProcess.load())
    show(true);
}

void Progress::complete() {
  done_ = total_;
  finish();
}

void Progress::erase() {
  if (terminal_ && shown_ && !finished_) {
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
}

void Progress::show(bool last) {
  const double elapsed =
      secondsBetween(start_, std::chrono::steady_clock::now());
  std::string line = what_ + ": " + std::to_string(done_);
  if (total_ > 0)
    line += "/" + std::to_string(total_);
  line += " " + unit_ + ", " + duration(elapsed);
  if (!last && total_ > 0 && done_ > 0 && done_ < total_)
    line += ", about " +
            duration(elapsed / double(done_) * double(total_ - done_)) +
            " left";
  if (terminal_)
    std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), last ? "\n" : "");
  else
    std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  shown_ = true;
}

} // namespace llmc::runtime
