//===- ThreadPoolTest.cpp - every item exactly once, in any pool size -----===//

#include "runtime/support/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <vector>

using namespace llmc::runtime;

namespace {

TEST(ThreadPool, CoversTheRangeExactlyOnce) {
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      for (int repeat = 0; repeat < 20; ++repeat)
        pool.parallelFor(n, [&](int64_t begin, int64_t end) {
          ASSERT_LE(0, begin);
          ASSERT_LE(begin, end);
          ASSERT_LE(end, n);
          for (int64_t i = begin; i < end; ++i)
            ++hits[i];
        });
      for (int64_t i = 0; i < n; ++i)
        EXPECT_EQ(hits[i].load(), 20) << "threads " << threads << " n " << n;
    }
  }
}

TEST(ThreadPool, UsesSeveralThreadsAndRespectsTheGrain) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  pool.parallelFor(400, [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mutex);
    ids.insert(std::this_thread::get_id());
    chunks.push_back({begin, end});
  });
  EXPECT_EQ(chunks.size(), 4u);
  EXPECT_GE(ids.size(), 2u);
  chunks.clear();
  pool.parallelFor(
      10,
      [&](int64_t begin, int64_t end) {
        std::lock_guard<std::mutex> lock(mutex);
        chunks.push_back({begin, end});
      },
      /*grain=*/8);
  EXPECT_EQ(chunks.size(), 2u); // 10 items of grain 8: two chunks, not four
}

} // namespace
