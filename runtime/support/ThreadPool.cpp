//===- ThreadPool.cpp - workers that split a range with the caller --------===//

#include "runtime/support/ThreadPool.h"

#include <algorithm>

namespace llmc::runtime {

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

void ThreadPool::work(unsigned index) {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int64_t, int64_t)> *body;
    int64_t begin, end;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_)
        return;
      seen = generation_;
      body = body_;
      begin = std::min(total_, int64_t(index) * chunk_);
      end = std::min(total_, begin + chunk_);
    }
    if (begin < end)
      (*body)(begin, end);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0)
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
    pending_ = unsigned(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  body(0, std::min(n, chunk_)); // the caller takes the first chunk
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  body_ = nullptr;
}

} // namespace llmc::runtime
