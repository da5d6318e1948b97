//===- RankWatchdog.cpp - a job's ranks hear from each other or end it ----===//

#include "runtime/parallel/RankWatchdog.h"

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace llmc::runtime {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kAlive = 1, kGoodbye = 2;

struct Watch {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1;
  double timeout = 20;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::vector<MPI_Request> sends;
  /// What every message carries: its tag says alive or goodbye.
  char payload = 0;
};

Watch *watch = nullptr;

/// The timeout in seconds from LLMC_RANK_TIMEOUT (20 by default).
double configuredTimeout() {
  const char *text = std::getenv("LLMC_RANK_TIMEOUT");
  if (!text || !*text)
    return 20;
  char *end = nullptr;
  double seconds = std::strtod(text, &end);
  if (*end != '\0' || seconds < 0) {
    std::fprintf(stderr,
                 "llmc-run: LLMC_RANK_TIMEOUT=%s is not a number of seconds; "
                 "20 is used\n",
                 text);
    return 20;
  }
  return seconds;
}

/// Says alive to every other rank whose previous message has left.
void sendAlive(Watch &w) {
  for (int q = 0; q < w.size; ++q) {
    if (q == w.rank)
      continue;
    int done = 1;
    if (w.sends[q] != MPI_REQUEST_NULL)
      MPI_Test(&w.sends[q], &done, MPI_STATUS_IGNORE);
    if (done)
      MPI_Isend(&w.payload, 1, MPI_BYTE, q, kAlive, w.comm, &w.sends[q]);
  }
}

void run(Watch &w) {
  std::vector<Clock::time_point> heard(w.size, Clock::now());
  std::vector<bool> gone(w.size, false);
  Clock::time_point lastSent{};
  while (!w.stopping.load()) {
    Clock::time_point now = Clock::now();
    if (now - lastSent >= std::chrono::seconds(1)) {
      sendAlive(w);
      lastSent = now;
    }
    for (int flag = 1; flag;) {
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, w.comm, &flag, &status);
      if (!flag)
        break;
      char byte;
      MPI_Recv(&byte, 1, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, w.comm,
               MPI_STATUS_IGNORE);
      heard[status.MPI_SOURCE] = Clock::now();
      if (status.MPI_TAG == kGoodbye)
        gone[status.MPI_SOURCE] = true;
    }
    now = Clock::now();
    for (int q = 0; q < w.size; ++q) {
      double silent = std::chrono::duration<double>(now - heard[q]).count();
      if (q != w.rank && !gone[q] && silent > w.timeout) {
        std::fprintf(stderr,
                     "llmc-run: rank %d: no word from rank %d for %.0f s (it "
                     "stopped or hung): ending the job\n",
                     w.rank, q, silent);
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

} // namespace

void startRankWatchdog() {
  int size = 1, provided = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Query_thread(&provided);
  double timeout = configuredTimeout();
  if (size < 2 || provided < MPI_THREAD_MULTIPLE || timeout == 0 || watch)
    return;
  watch = new Watch();
  watch->timeout = timeout;
  watch->size = size;
  MPI_Comm_rank(MPI_COMM_WORLD, &watch->rank);
  MPI_Comm_dup(MPI_COMM_WORLD, &watch->comm);
  watch->sends.assign(size, MPI_REQUEST_NULL);
  watch->thread = std::thread(run, std::ref(*watch));
}

void stopRankWatchdog() {
  if (!watch)
    return;
  watch->stopping = true;
  watch->thread.join();
  // Goodbye, then every message sent has left (each is one byte, which MPI
  // sends eagerly) and whatever arrived is read.
  for (int q = 0; q < watch->size; ++q)
    if (q != watch->rank) {
      if (watch->sends[q] != MPI_REQUEST_NULL)
        MPI_Wait(&watch->sends[q], MPI_STATUS_IGNORE);
      MPI_Send(&watch->payload, 1, MPI_BYTE, q, kGoodbye, watch->comm);
    }
  for (int flag = 1; flag;) {
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, watch->comm, &flag, &status);
    if (flag) {
      char byte;
      MPI_Recv(&byte, 1, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG,
               watch->comm, MPI_STATUS_IGNORE);
    }
  }
  delete watch;
  watch = nullptr;
}

} // namespace llmc::runtime
