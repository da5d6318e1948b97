//===- CommunicatorTest.cpp - MPI among real ranks ------------------------===//
//
// Run by ctest under `mpirun -np N` (N = 2 and 3): every rank runs every
// test, and the job fails when a test fails on any rank.
//
//===----------------------------------------------------------------------===//

#include "runtime/format/Float16.h"
#include "runtime/parallel/MpiCommunicator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

using namespace llmc::runtime;

namespace {

Communicator *world = nullptr;

TEST(Mpi, AllReduceSumsEveryRanksValues) {
  const int64_t n = world->size(), r = world->rank();
  std::vector<float> data(1000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = float(r + 1) * 0.25f + float(i);
  ASSERT_TRUE(world->allReduceSum(data.data(), 1000, DType::f32).ok());
  // Sum over ranks q of (q + 1) / 4 + i: n (n + 1) / 8 + n i.
  for (size_t i = 0; i < data.size(); ++i)
    ASSERT_EQ(data[i], float(n * (n + 1)) / 8.0f + float(n) * float(i)) << i;
}

TEST(Mpi, AllReduceSumsHalvesAsFloats) {
  const int64_t n = world->size(), r = world->rank();
  std::vector<uint16_t> data(64);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = llmc::format::floatToHalf(float(i) + 0.5f * float(r));
  ASSERT_TRUE(world->allReduceSum(data.data(), 64, DType::f16).ok());
  for (size_t i = 0; i < data.size(); ++i)
    ASSERT_EQ(llmc::format::halfToFloat(data[i]),
              float(n) * float(i) + 0.25f * float(n * (n - 1)))
        << i;
}

TEST(Mpi, AllReduceOfIntegersIsAnErrorNamingTheRank) {
  int64_t value = 1;
  Status status = world->allReduceSum(&value, 1, DType::i64);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "rank " + std::to_string(world->rank()) +
                ": all-reduce of i64 is not supported (f32 and f16 are)");
}

TEST(Mpi, AllGatherJoinsInRankOrder) {
  const int64_t n = world->size(), r = world->rank();
  std::vector<float> mine = {float(r), float(10 * r), float(100 * r)};
  std::vector<float> all(3 * n, -1.0f);
  ASSERT_TRUE(world->allGather(mine.data(), all.data(), 3, DType::f32).ok());
  for (int64_t q = 0; q < n; ++q) {
    EXPECT_EQ(all[3 * q], float(q));
    EXPECT_EQ(all[3 * q + 1], float(10 * q));
    EXPECT_EQ(all[3 * q + 2], float(100 * q));
  }
}

TEST(Mpi, SendGoesToTheNextRankAroundARing) {
  const int64_t n = world->size(), r = world->rank();
  // Even ranks send first, odd ones receive first: no rank waits on a
  // rank that waits on it.
  std::vector<float> out(256, float(r)), in(256, -1.0f);
  const int64_t next = (r + 1) % n, previous = (r + n - 1) % n;
  const uint64_t bytes = out.size() * sizeof(float);
  if (r % 2 == 0) {
    ASSERT_TRUE(world->send(out.data(), bytes, next).ok());
    ASSERT_TRUE(world->recv(in.data(), bytes, previous).ok());
  } else {
    ASSERT_TRUE(world->recv(in.data(), bytes, previous).ok());
    ASSERT_TRUE(world->send(out.data(), bytes, next).ok());
  }
  for (float x : in)
    ASSERT_EQ(x, float(previous));
}

TEST(Mpi, AShortMessageIsAnErrorNamingBothRanks) {
  if (world->size() < 2)
    GTEST_SKIP() << "needs two ranks";
  const int64_t r = world->rank();
  std::vector<char> buffer(16, 'x');
  if (r == 0) {
    ASSERT_TRUE(world->send(buffer.data(), 8, 1).ok());
  } else if (r == 1) {
    Status status = world->recv(buffer.data(), 16, 0);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message(), "rank 1: receive from rank 0: 8 bytes "
                                "arrived, 16 expected");
  }
}

TEST(Mpi, BroadcastCopiesTheRootsBytes) {
  const int64_t n = world->size(), r = world->rank();
  int64_t tokens[3] = {r, r + 1, r + 2};
  ASSERT_TRUE(world->broadcast(tokens, sizeof tokens, n - 1).ok());
  EXPECT_EQ(tokens[0], n - 1);
  EXPECT_EQ(tokens[2], n + 1);
}

TEST(Mpi, SplitGroupsTheRanksOfAColor) {
  // Two "stages" of consecutive ranks, as tensor parallelism groups them
  // (stage = rank / tp), ordered by the rank within the stage.
  const int64_t n = world->size(), r = world->rank();
  const int64_t tp = (n + 1) / 2;
  Expected<std::unique_ptr<Communicator>> stage = world->split(r / tp, r % tp);
  ASSERT_TRUE(stage.ok()) << stage.status().message();
  const int64_t expected = r / tp == 0 ? tp : n - tp;
  EXPECT_EQ((*stage)->size(), expected);
  EXPECT_EQ((*stage)->rank(), r % tp);
  float value = 1.0f;
  ASSERT_TRUE((*stage)->allReduceSum(&value, 1, DType::f32).ok());
  EXPECT_EQ(value, float(expected));
}

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!launchedAsRanks()) {
    std::fprintf(stderr, "run under mpirun -np N\n");
    return 2;
  }
  Expected<std::unique_ptr<Communicator>> comm = mpiWorld();
  if (!comm) {
    std::fprintf(stderr, "%s\n", comm.status().message().c_str());
    return 1;
  }
  world = comm->get();
  int result = RUN_ALL_TESTS();
  // A failure on another rank fails the job too.
  float failedRanks = result == 0 ? 0.0f : 1.0f;
  if (!world->allReduceSum(&failedRanks, 1, DType::f32).ok())
    return 1;
  world = nullptr;
  comm->reset();
  return failedRanks == 0.0f ? 0 : 1;
}
