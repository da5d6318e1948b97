//===- ThreadPool.cpp - workers that split a range with the caller --------===//

#include "runtime/support/ThreadPool.h"

#include <algorithm>

#include <pthread.h>
#include <sched.h>

namespace llmc::runtime {

namespace {

/// The CPUs this process may run on, in order.
std::vector<int> allowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set))
        cpus.push_back(cpu);
  return cpus;
}

} // namespace

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  // With no more threads than CPUs, worker i stays on the i-th allowed CPU
  // (no worker takes the first, which is left to the caller): a worker's slice
  // of the weights is then read by the same core every step, and the scheduler
  // never stacks two workers on one core.
  const std::vector<int> cpus = allowedCpus();
  const bool pin = threads <= cpus.size();
  for (unsigned i = 1; i < threads; ++i) {
    workers_.emplace_back([this, i] { work(i); });
    if (pin) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[i], &one);
      pthread_setaffinity_np(workers_.back().native_handle(), sizeof(one),
                             &one); // advice: a refusal leaves it unpinned
    }
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

namespace {

/// How long a worker (or the caller waiting for workers) spins before it
/// sleeps: long enough to bridge the gap between the kernels of one decode
/// step, short enough not to burn a core between steps.
constexpr int kSpins = 20000;

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

} // namespace

void ThreadPool::work(unsigned index) {
  uint64_t seen = 0;
  while (true) {
    for (int spin = 0;
         spin < kSpins && generation_.load(std::memory_order_acquire) == seen &&
         !stopping_.load(std::memory_order_acquire);
         ++spin)
      relax();
    const std::function<void(int64_t, int64_t)> *body;
    int64_t begin, end;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(
          lock, [&] { return stopping_.load() || generation_.load() != seen; });
      if (stopping_)
        return;
      seen = generation_;
      body = body_;
      begin = std::min(total_, int64_t(index) * chunk_);
      end = std::min(total_, begin + chunk_);
    }
    if (begin < end)
      (*body)(begin, end);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t n,
                             const std::function<void(int64_t, int64_t)> &body,
                             int64_t grain) {
  if (n <= 0)
    return;
  int64_t chunks =
      std::min<int64_t>(size(), (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (chunks <= 1 || workers_.empty()) {
    body(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    total_ = n;
    chunk_ = (n + chunks - 1) / chunks;
    pending_.store(unsigned(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  body(0, std::min(n, chunk_)); // the caller takes the first chunk
  for (int spin = 0;
       spin < kSpins && pending_.load(std::memory_order_acquire) != 0; ++spin)
    relax();
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_.load() == 0; });
  body_ = nullptr;
}

} // namespace llmc::runtime
