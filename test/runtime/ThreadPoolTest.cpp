//===- ThreadPoolTest.cpp - every item exactly once, in any pool size -----===//

#include "runtime/support/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
    {
      std::lock_guard<std::mutex> lock(mutex);
      ids.insert(std::this_thread::get_id());
      chunks.push_back({begin, end});
    }
    // The caller could claim every chunk before a worker wakes: each chunk
    // waits (up to 5 s) for a second thread to show up.
    for (int wait = 0; wait < 5000; ++wait) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (ids.size() >= 2)
          return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  // A few chunks per thread, claimed by whichever thread is free.
  EXPECT_EQ(chunks.size(), 16u);
  for (auto [begin, end] : chunks)
    EXPECT_EQ(end - begin, 25);
  EXPECT_GE(ids.size(), 2u);
  // A fresh pool: this one may have judged the loop above (its chunks
  // waiting on each other) not worth sharing and run the next alone.
  chunks.clear();
  ThreadPool fresh(4);
  fresh.parallelFor(
      10,
      [&](int64_t begin, int64_t end) {
        std::lock_guard<std::mutex> lock(mutex);
        chunks.push_back({begin, end});
      },
      /*grain=*/8);
  EXPECT_EQ(chunks.size(), 2u); // 10 items of grain 8: two chunks, not four
}

TEST(ThreadPool, AStalledWorkerHoldsUpOnlyItsOwnChunk) {
  // The first chunk a worker takes stalls it (as a preempted thread is);
  // the caller claims every other chunk meanwhile.
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> byCaller{0}, byWorker{0};
  std::atomic<bool> stalled{false};
  pool.parallelFor(8, [&](int64_t begin, int64_t end) {
    if (std::this_thread::get_id() == caller) {
      byCaller += int(end - begin);
      return;
    }
    byWorker += int(end - begin);
    if (!stalled.exchange(true))
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
  });
  EXPECT_EQ(byCaller + byWorker, 8);
  // The worker may have woken late and taken nothing, or one chunk and
  // stalled in it; never more than that one.
  EXPECT_LE(byWorker.load(), 1);
}

TEST(ThreadPool, RunsLoopsAloneWhenSharingDoesNotPay) {
  // Every chunk takes the caller 20 us and a worker 10 ms (as if it lost
  // its core): after the first loop a worker joins, the caller runs loops
  // alone (short ones, 8 x 20 us: under kWakeAfter, so the workers stay
  // asleep).
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  int alone = 0;
  for (int loop = 0; loop < 100; ++loop) {
    std::atomic<int> byWorker{0};
    pool.parallelFor(8, [&](int64_t begin, int64_t end) {
      if (std::this_thread::get_id() == caller) {
        // Busy, not asleep: a sleep of 20 us lasts 50 us or more.
        const auto until =
            std::chrono::steady_clock::now() + std::chrono::microseconds(20);
        while (std::chrono::steady_clock::now() < until) {
        }
        return;
      }
      byWorker += int(end - begin);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    });
    alone += byWorker == 0;
  }
  EXPECT_GE(alone, 90);
}

TEST(ThreadPool, RunsLoopsAloneWhenTheCallerLosesItsCoreBetweenThem) {
  // Each loop pays when shared (8 chunks of 50 us: about 200 us on two
  // threads against 400 alone), but before each the caller spends 1 ms
  // off its core (here asleep; to the pool, time without CPU time, as
  // when a worker and another process share its core): the trial counts
  // those gaps, finds that sharing does not pay, and the caller runs the
  // later loops alone.
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  int alone = 0;
  for (int loop = 0; loop < 100; ++loop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::atomic<int> byWorker{0};
    pool.parallelFor(8, [&](int64_t begin, int64_t end) {
      if (std::this_thread::get_id() != caller)
        byWorker += int(end - begin);
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (std::chrono::steady_clock::now() < until) {
      }
    });
    alone += loop >= 50 && byWorker == 0;
  }
  EXPECT_GE(alone, 45);
}

TEST(ThreadPool, SharesALongLoopEvenWhileRunningSmallOnesAlone) {
  // A first loop whose worker chunk stalls 10 ms puts the caller on its
  // own; a later loop of 2 ms chunks is still shared after its first
  // chunk (a prompt after decode steps).
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  auto busy = [](std::chrono::microseconds length) {
    const auto until = std::chrono::steady_clock::now() + length;
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  pool.parallelFor(8, [&](int64_t, int64_t) {
    busy(std::chrono::microseconds(
        std::this_thread::get_id() == caller ? 20 : 10000));
  });
  std::atomic<int> byWorker{0};
  pool.parallelFor(8, [&](int64_t begin, int64_t end) {
    if (std::this_thread::get_id() != caller)
      byWorker += int(end - begin);
    busy(std::chrono::microseconds(2000));
  });
  EXPECT_GT(byWorker.load(), 0);
}

TEST(ThreadPool, SleepsBetweenLoopsAndWakesForTheNext) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 3; ++round) {
    // Long enough for the workers to stop spinning and sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pool.parallelFor(1000, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        sum += i;
    });
  }
  EXPECT_EQ(sum.load(), 3 * 999 * 1000 / 2);
}

TEST(ThreadPool, CountsTheCpusTheQuotaGrants) {
  EXPECT_EQ(cpusOfQuota("max 100000"), std::nullopt);
  EXPECT_EQ(cpusOfQuota("200000 100000"), 2u);
  EXPECT_EQ(cpusOfQuota("150000 100000\n"), 2u); // rounded up
  EXPECT_EQ(cpusOfQuota("50000 100000"), 1u);
  EXPECT_EQ(cpusOfQuota("-1 100000"), std::nullopt); // cgroup v1: none
  EXPECT_EQ(cpusOfQuota(""), std::nullopt);
  EXPECT_EQ(cpusOfQuota("lots 100000"), std::nullopt);
  const unsigned cpus = availableCpus();
  EXPECT_GE(cpus, 1u);
  EXPECT_LE(cpus, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(ThreadPool().size(), cpus);
}

} // namespace
