//===- ThreadPool.h - data-parallel loops for the executor ----------------===//
//
// A fixed set of worker threads that split a range of work items with the
// calling thread: parallelFor(n, body) calls body(begin, end) on disjoint
// chunks covering [0, n) and returns when all are done. The executor runs
// each kernel through it (a linear layer's output features, attention's
// heads); the kernels themselves stay single-threaded.
//
// Made for cores that other processes share:
// - a loop is cut into a few chunks per thread, claimed one at a time by
//   whichever thread is free (the caller too), so a worker the scheduler
//   has taken off its core holds up at most the chunk it is running;
// - waiting (a worker for the next loop, the caller for the last chunks)
//   spins for tens of microseconds, which bridges the gap between the
//   kernels of one step, and then sleeps, which gives the core to whoever
//   needs it (a preempted worker included);
// - threads are not pinned, so the scheduler can move one off a busy core;
// - the caller measures whether sharing pays (a loop's time against its own
//   CPU time over its chunks, scaled to all, and the time between loops
//   against its CPU time there); when a worker loses its core to another
//   process mid-chunk, loops are too small for the wake-ups, or the caller
//   itself loses its core between loops, it runs the next loops alone and
//   tries again later (so a busy machine costs about what one thread
//   would, not a collapse);
// - the default size is the number of CPUs this process may actually use:
//   its affinity mask, capped by its cgroup's CPU quota.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SUPPORT_THREADPOOL_H
#define LLMC_RUNTIME_SUPPORT_THREADPOOL_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace llmc::runtime {

/// CPUs granted by a cgroup v2 `cpu.max` line ("quota period", or "max
/// period" for none), rounded up; nullopt when it sets no limit or cannot
/// be read.
std::optional<unsigned> cpusOfQuota(const std::string &cpuMax);

/// The CPUs this process may use: its affinity mask's count, capped by its
/// cgroup's quota (cgroup v2 cpu.max, or v1 cfs_quota_us / cfs_period_us).
/// At least 1.
unsigned availableCpus();

class ThreadPool {
public:
  /// `threads` in all, counting the caller (so 1 runs inline); 0 means
  /// availableCpus().
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const { return unsigned(workers_.size()) + 1; }
  /// The running thread's place in its pool: 0 for the caller (any thread
  /// not a worker), 1.. for the workers. Per-thread scratch is indexed by
  /// it.
  static unsigned slot();

  /// Runs body over [0, n) in chunks of a multiple of `grain` items (but
  /// the last), a few per thread. Not reentrant: body must not call
  /// parallelFor.
  void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &body,
                   int64_t grain = 1);

private:
  using Clock = std::chrono::steady_clock;
  struct Instant {
    Clock::time_point wall;
    Clock::duration cpu; // the caller's CPU time
  };
  struct Loop {
    Instant ownEnd;        // when the caller ran out of chunks
    Clock::time_point end; // when the last chunk was done
  };
  void work();
  /// Claims and runs chunks of the loop `generation` until none is left;
  /// how many it ran.
  int64_t runChunks(uint64_t generation);
  /// Wakes the workers that sleep.
  void wakeSleepers();
  /// Adds a shared loop to the trial (it began at `start`; the caller ran
  /// `mine` of its `chunks` until `ownEnd`) and decides when the trial is
  /// over.
  void measure(Instant start, Instant ownEnd, int64_t mine, int64_t chunks);

  std::vector<std::thread> workers_;
  // The current loop, written before its generation is published and left
  // alone until its last chunk is done.
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t total_ = 0, chunk_ = 0;
  // One word, so that a claim checks all three at once: the loop's
  // generation, its chunk count and the next chunk to claim.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> finished_{0};
  uint64_t generation_ = 0;
  // Sleeping: workers on wake_ (counted in sleepers_), the caller on done_.
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> callerAsleep_{false}, stopping_{false};
  // The caller's measure of whether parallel loops pay (see parallelFor),
  // and how many loops it runs alone before it tries again.
  struct Trial {
    Clock::duration shared{}, alone{};
    int loops = 0;
    std::optional<Loop> last; // the trial's last loop
  } trial_;
  int solo_ = 0, soloLength_, trusted_ = 0;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SUPPORT_THREADPOOL_H
