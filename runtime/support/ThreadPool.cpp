//===- ThreadPool.cpp - workers that split a range with the caller --------===//

#include "runtime/support/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <sched.h>
#include <time.h>

namespace llmc::runtime {

std::optional<unsigned> cpusOfQuota(const std::string &cpuMax) {
  std::istringstream in(cpuMax);
  std::string quota;
  long long period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0)
    return std::nullopt;
  long long granted = 0;
  try {
    granted = std::stoll(quota);
  } catch (...) {
    return std::nullopt;
  }
  if (granted <= 0)
    return std::nullopt;
  return unsigned(std::max(1LL, (granted + period - 1) / period));
}

namespace {

std::string readFile(const char *path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The cgroup's CPU quota: v2's cpu.max, else v1's quota and period.
std::optional<unsigned> quotaCpus() {
  if (auto cpus = cpusOfQuota(readFile("/sys/fs/cgroup/cpu.max")))
    return cpus;
  return cpusOfQuota(readFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") + " " +
                     readFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
}

} // namespace

unsigned availableCpus() {
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    cpus = std::max(1, CPU_COUNT(&set));
  if (std::optional<unsigned> quota = quotaCpus())
    cpus = std::min(cpus, *quota);
  return cpus;
}

namespace {

// claim_: generation (bits 40..63), chunk count (20..39), next chunk (0..19).
constexpr int kNextBits = 20, kCountBits = 20;
constexpr uint64_t kFieldMask = (uint64_t(1) << kNextBits) - 1;
constexpr uint64_t kGenerationMask = (uint64_t(1) << 24) - 1;

uint64_t pack(uint64_t generation, uint64_t count, uint64_t next) {
  return generation << (kNextBits + kCountBits) | count << kNextBits | next;
}
uint64_t generationOf(uint64_t word) {
  return word >> (kNextBits + kCountBits);
}
uint64_t countOf(uint64_t word) { return word >> kNextBits & kFieldMask; }
uint64_t nextOf(uint64_t word) { return word & kFieldMask; }

/// Chunks per thread: enough that a late thread's share is taken by the
/// others, few enough that each chunk is a long sequential stream.
constexpr int64_t kChunksPerThread = 4;

/// How long a waiting thread spins before it sleeps: longer than the gap
/// between the kernels of one decode step, short enough to give the core
/// back soon to a process that shares it.
constexpr std::chrono::microseconds kSpin{50};

/// Parallel loops measured before the pool decides whether they pay (it
/// decides at once when they lost kLossNow), and loops then run by the
/// caller alone when they did not: kSoloLoops, four times as many after
/// each lost trial up to kMostSoloLoops, half as many after each won one
/// (so another process that keeps a core busy costs ever fewer trials).
/// After a won trial kTrustedLoops are shared unmeasured (the caller's CPU
/// time that a trial reads is a system call, about 1 us here).
constexpr int kTrialLoops = 64, kSoloLoops = 4096, kMostSoloLoops = 65536,
              kTrustedLoops = 256;
constexpr std::chrono::microseconds kLossNow{500};
/// A gap between loops longer than this is the caller doing something
/// else (waiting for a request, say), not losing its core: trials leave
/// it out.
constexpr std::chrono::milliseconds kIdleGap{20};
/// The longest loop (projected from its first chunk) that a solo stretch
/// keeps on the caller alone: far above a decode step's loops on small
/// models (fortunes3m: 4-20 us), below a prompt's GEMMs (llama-110m, 128
/// tokens: 2-15 ms on one thread).
constexpr std::chrono::microseconds kWakeAfter{500};

/// The calling thread's CPU time.
std::chrono::steady_clock::duration threadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec));
}

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// Spins until `done()` or kSpin has passed; whether `done()`.
template <typename Done> bool spinFor(Done done) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (done())
        return true;
      relax();
    }
    if (std::chrono::steady_clock::now() - start > kSpin)
      return done();
  }
}

thread_local unsigned tSlot = 0;

} // namespace

ThreadPool::ThreadPool(unsigned threads) : soloLength_(kSoloLoops) {
  if (threads == 0)
    threads = availableCpus();
  for (unsigned i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] {
      tSlot = i;
      work();
    });
}

unsigned ThreadPool::slot() { return tSlot; }

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

void ThreadPool::wakeSleepers() {
  if (sleepers_.load() > 0) {
    // A worker checks for a new loop under the lock before it sleeps.
    { std::lock_guard<std::mutex> lock(mutex_); }
    wake_.notify_all();
  }
}

int64_t ThreadPool::runChunks(uint64_t generation) {
  uint64_t word = claim_.load(std::memory_order_acquire);
  int64_t ran = 0;
  while (true) {
    if (generationOf(word) != generation || nextOf(word) >= countOf(word))
      return ran;
    // The claim succeeds only while this generation is current with chunks
    // left: then body_, total_ and chunk_ are this loop's, and stay so
    // until the chunk is done.
    if (!claim_.compare_exchange_weak(word, word + 1,
                                      std::memory_order_acquire))
      continue;
    const int64_t begin = int64_t(nextOf(word)) * chunk_;
    (*body_)(begin, std::min(total_, begin + chunk_));
    ++ran;
    const int64_t count = int64_t(countOf(word));
    if (finished_.fetch_add(1) + 1 == count && callerAsleep_.load()) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
    word = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::work() {
  // Loops count from generation 1: one published before this thread got
  // going is still new to it.
  uint64_t seen = 0;
  auto published = [&] {
    return stopping_.load() || generationOf(claim_.load()) != seen;
  };
  while (true) {
    if (!spinFor(published)) {
      sleepers_.fetch_add(1);
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, published);
      sleepers_.fetch_sub(1);
    }
    if (stopping_.load())
      return;
    seen = generationOf(claim_.load());
    runChunks(seen);
  }
}

void ThreadPool::parallelFor(int64_t n,
                             const std::function<void(int64_t, int64_t)> &body,
                             int64_t grain) {
  if (n <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  int64_t chunks =
      std::min<int64_t>({(n + grain - 1) / grain, size() * kChunksPerThread,
                         int64_t(kFieldMask)});
  if (chunks <= 1 || workers_.empty()) {
    body(0, n);
    return;
  }
  const Clock::time_point start = Clock::now();
  // Solo stretch: the caller alone; trusted: shared unmeasured; else a
  // trial, which measures.
  const bool solo = solo_ > 0, measured = !solo && trusted_ == 0;
  // (A stretch of one kind never overlaps one of the other: a lost trial
  // starts a solo stretch, a won one a trusted stretch.)
  solo_ = std::max(0, solo_ - 1);
  trusted_ = std::max(0, trusted_ - 1);
  const Clock::duration startCpu =
      measured ? threadCpuTime() : Clock::duration{};
  // Whole multiples of the grain (a kernel's tile stays in one chunk).
  chunk_ = ((n + chunks - 1) / chunks + grain - 1) / grain * grain;
  chunks = (n + chunk_ - 1) / chunk_;
  // In a solo stretch the caller runs the first chunk alone: when all of
  // them at its pace would take under kWakeAfter it runs the rest alone
  // too, else (a prompt's GEMMs after decode steps) the rest is shared.
  // Alone or shared, the chunks are the same: a kernel whose rounding
  // depends on where a slice begins (OpenBLAS's edge tiles) computes the
  // same bits whatever the scheduler decided.
  int64_t first = 0;
  if (solo) {
    body(0, chunk_);
    first = 1;
    if ((Clock::now() - start) * chunks < kWakeAfter) {
      for (int64_t begin = chunk_; begin < n; begin += chunk_)
        body(begin, std::min(n, begin + chunk_));
      return;
    }
  }
  body_ = &body;
  total_ = n;
  finished_.store(first);
  generation_ = (generation_ + 1) & kGenerationMask;
  claim_.store(pack(generation_, uint64_t(chunks), uint64_t(first)));
  wakeSleepers();
  const int64_t mine = runChunks(generation_);
  const Instant ownEnd{Clock::now(),
                       measured ? threadCpuTime() : Clock::duration{}};
  auto finished = [&] { return finished_.load() == chunks; };
  if (!spinFor(finished)) {
    callerAsleep_.store(true);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, finished);
    callerAsleep_.store(false);
  }
  body_ = nullptr;
  if (measured)
    measure({start, startCpu}, ownEnd, mine, chunks);
}

void ThreadPool::measure(Instant start, Instant ownEnd, int64_t mine,
                         int64_t chunks) {
  // Whether sharing pays: each loop's time against what the caller alone
  // would have taken (the CPU time of its own chunks, scaled to all), and
  // the time between loops against the caller's CPU time there. A worker
  // that the scheduler took off its core mid-chunk, loops too small for
  // the wake-ups they cost, or a caller that loses its core between loops
  // (three threads on two cores: a worker spinning beside another
  // process; the loops alone then seem to pay) make it lose; then the
  // caller runs the next loops alone (kSoloLoops, 4x after each lost
  // trial) and tries again.
  const Clock::time_point end = Clock::now();
  if (mine > 0) { // else the scheduler kept the caller from every chunk
    trial_.shared += end - start.wall;
    trial_.alone += (ownEnd.cpu - start.cpu) * chunks / mine;
  }
  if (trial_.last && start.wall - trial_.last->end < kIdleGap) {
    // The caller's CPU time since its last loop's own chunks, less the
    // spin that waited for that loop's last chunks.
    const Loop &last = *trial_.last;
    trial_.shared += start.wall - last.end;
    trial_.alone +=
        start.cpu - last.ownEnd.cpu -
        std::min<Clock::duration>(last.end - last.ownEnd.wall, kSpin);
  }
  trial_.last = Loop{ownEnd, end};
  const bool lost = trial_.shared > trial_.alone + kLossNow;
  if (!lost && ++trial_.loops < kTrialLoops)
    return;
  if (trial_.shared > trial_.alone) {
    solo_ = soloLength_;
    soloLength_ = std::min(4 * soloLength_, kMostSoloLoops);
  } else {
    trusted_ = kTrustedLoops;
    soloLength_ = std::max(soloLength_ / 2, kSoloLoops);
  }
  trial_ = {};
}

} // namespace llmc::runtime
