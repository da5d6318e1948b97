//===- ThreadPool.h - data-parallel loops for the executor ----------------===//
//
// A fixed set of worker threads that split a range of work items with the
// calling thread: parallelFor(n, body) calls body(begin, end) on disjoint
// chunks covering [0, n) and returns when all are done. The executor runs
// each kernel through it (a linear layer's output features, attention's
// heads); the kernels themselves stay single-threaded. Workers are pinned
// one per CPU when there are no more threads than CPUs.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SUPPORT_THREADPOOL_H
#define LLMC_RUNTIME_SUPPORT_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace llmc::runtime {

class ThreadPool {
public:
  /// `threads` workers in all, counting the caller (so 1 runs inline); 0
  /// means one per hardware thread.
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const { return unsigned(workers_.size()) + 1; }

  /// Runs body over [0, n) in at most size() contiguous chunks of at least
  /// `grain` items. Not reentrant: body must not call parallelFor.
  void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &body,
                   int64_t grain = 1);

private:
  void work(unsigned index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t total_ = 0, chunk_ = 0;
  // Workers spin on these briefly before sleeping on wake_/done_.
  std::atomic<uint64_t> generation_{0};
  std::atomic<unsigned> pending_{0};
  std::atomic<bool> stopping_{false};
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SUPPORT_THREADPOOL_H
