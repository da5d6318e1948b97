//===- CommunicatorTest.cpp - MPI among real ranks ------------------------===//
//
// Run by ctest under `mpirun -np N` (N = 2 and 3): every rank runs every
// test, and the job fails when a test fails on any rank. The communicator
// itself, then the CPU kernels a sharded plan calls.
//
//===----------------------------------------------------------------------===//

#include "runtime/exec/Kernel.h"
#include "runtime/format/Float16.h"
#include "runtime/parallel/MpiCommunicator.h"
#include "runtime/support/ThreadPool.h"

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
  ASSERT_TRUE(
      world->allReduceSum(data.data(), data.data(), 1000, DType::f32).ok());
  // Sum over ranks q of (q + 1) / 4 + i: n (n + 1) / 8 + n i.
  for (size_t i = 0; i < data.size(); ++i)
    ASSERT_EQ(data[i], float(n * (n + 1)) / 8.0f + float(n) * float(i)) << i;
}

TEST(Mpi, AllReduceSumsHalvesAsFloats) {
  const int64_t n = world->size(), r = world->rank();
  std::vector<uint16_t> data(64);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = llmc::format::floatToHalf(float(i) + 0.5f * float(r));
  ASSERT_TRUE(
      world->allReduceSum(data.data(), data.data(), 64, DType::f16).ok());
  for (size_t i = 0; i < data.size(); ++i)
    ASSERT_EQ(llmc::format::halfToFloat(data[i]),
              float(n) * float(i) + 0.25f * float(n * (n - 1)))
        << i;
}

TEST(Mpi, AllReduceOfIntegersIsAnErrorNamingTheRank) {
  int64_t value = 1;
  Status status = world->allReduceSum(&value, &value, 1, DType::i64);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "rank " + std::to_string(world->rank()) +
                ": all-reduce of i64 is not supported (f32 and f16 are)");
}

TEST(Mpi, AllGatherJoinsInRankOrder) {
  const int64_t n = world->size(), r = world->rank();
  std::vector<float> mine = {float(r), float(10 * r), float(100 * r)};
  std::vector<float> all(3 * n, -1.0f);
  ASSERT_TRUE(world->allGather(mine.data(), all.data(), 1, 3, DType::f32).ok());
  for (int64_t q = 0; q < n; ++q) {
    EXPECT_EQ(all[3 * q], float(q));
    EXPECT_EQ(all[3 * q + 1], float(10 * q));
    EXPECT_EQ(all[3 * q + 2], float(100 * q));
  }
}

TEST(Mpi, AllGatherOfRowsJoinsEachRowsColumns) {
  // Logits [rows, vocab / n] per rank -> [rows, vocab]: row i holds rank
  // 0's columns of row i, then rank 1's, ...
  const int64_t n = world->size(), r = world->rank();
  const int64_t rows = 4, columns = 5;
  std::vector<float> mine(rows * columns);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < columns; ++j)
      mine[i * columns + j] = float(1000 * i + 100 * r + j);
  std::vector<float> all(rows * n * columns, -1.0f);
  ASSERT_TRUE(
      world->allGather(mine.data(), all.data(), rows, columns, DType::f32)
          .ok());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t q = 0; q < n; ++q)
      for (int64_t j = 0; j < columns; ++j)
        ASSERT_EQ(all[(i * n + q) * columns + j], float(1000 * i + 100 * q + j))
            << "row " << i << ", rank " << q << ", column " << j;
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

TEST(Mpi, AStartedSendLetsTheSenderReceiveFirst) {
  // Every rank starts sending a large message (past any eager limit) to
  // the next, then receives from the previous, then waits: with blocking
  // sends every rank would wait on the next one's receive for ever.
  const int64_t n = world->size(), r = world->rank();
  std::vector<float> out(1 << 20, float(r)), in(1 << 20, -1.0f);
  const int64_t next = (r + 1) % n, previous = (r + n - 1) % n;
  const uint64_t bytes = out.size() * sizeof(float);
  Expected<int64_t> ticket = world->startSend(out.data(), bytes, next);
  ASSERT_TRUE(ticket.ok()) << ticket.status().message();
  ASSERT_TRUE(world->recv(in.data(), bytes, previous).ok());
  ASSERT_TRUE(world->wait(*ticket).ok());
  EXPECT_EQ(in.front(), float(previous));
  EXPECT_EQ(in.back(), float(previous));
  Status twice = world->wait(*ticket);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.message(), "rank " + std::to_string(r) + ": no send " +
                                 std::to_string(*ticket) + " to wait for");
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
  ASSERT_TRUE((*stage)->allReduceSum(&value, &value, 1, DType::f32).ok());
  EXPECT_EQ(value, float(expected));
}

/// Runs CPU kernel `name` on `inputs`, its outputs of `declared` shapes
/// in `outputs`, with `links`.
Status runKernel(const char *name, std::vector<Tensor *> inputs,
                 std::vector<Tensor *> outputs, std::vector<Shape> declared,
                 const RankLinks *links,
                 std::vector<std::pair<std::string, int64_t>> ints) {
  Params params(*llmc::format::findKernel(name));
  for (auto &[param, value] : ints)
    params.addInts(param, {value});
  ThreadPool pool(1);
  std::vector<uint64_t> capacity;
  for (Tensor *output : outputs)
    capacity.push_back(uint64_t(output->bytes()));
  KernelContext c{params,   {inputs.begin(), inputs.end()},
                  outputs,  declared,
                  capacity, pool};
  c.links = links;
  KernelFn kernel = findCpuKernel(name);
  if (!kernel)
    return Status::error(std::string("no CPU kernel ") + name);
  return kernel(c);
}

Tensor tensorOf(std::vector<float> &values, Shape shape) {
  return Tensor{DType::f32, std::move(shape),
                reinterpret_cast<uint8_t *>(values.data())};
}

TEST(MpiKernels, AllReduceSumsIntoTheResult) {
  const int64_t n = world->size(), r = world->rank();
  RankLinks links{world, world, world, n};
  std::vector<float> x = {float(r), 1.0f, 2.0f * float(r)}, y(3, -1.0f);
  Tensor tx = tensorOf(x, {1, 3}), ty = tensorOf(y, {1, 3});
  Status status =
      runKernel("all_reduce", {&tx}, {&ty}, {{1, 3}}, &links, {{"ranks", n}});
  ASSERT_TRUE(status.ok()) << status.message();
  const float ranks = float(n * (n - 1) / 2);
  EXPECT_EQ(y, (std::vector<float>{ranks, float(n), 2.0f * ranks}));
  EXPECT_EQ(x[1], 1.0f) << "the input is left as it was";
}

TEST(MpiKernels, AllGatherJoinsAlongTheAxis) {
  // [2, 2] per rank joined along axis 1: [2, 2n].
  const int64_t n = world->size(), r = world->rank();
  RankLinks links{world, world, world, n};
  std::vector<float> x = {float(10 * r), float(10 * r + 1), float(10 * r + 2),
                          float(10 * r + 3)};
  std::vector<float> y(4 * n, -1.0f);
  Tensor tx = tensorOf(x, {2, 2}), ty = tensorOf(y, {2, 2 * n});
  Status status = runKernel("all_gather", {&tx}, {&ty}, {{2, 2 * n}}, &links,
                            {{"axis", 1}, {"ranks", n}});
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(ty.shape, (Shape{2, 2 * n}));
  for (int64_t row = 0; row < 2; ++row)
    for (int64_t q = 0; q < n; ++q)
      for (int64_t j = 0; j < 2; ++j)
        EXPECT_EQ(y[row * 2 * n + q * 2 + j], float(10 * q + 2 * row + j));
}

TEST(MpiKernels, SendAndRecvPassTheHiddenStateToTheNextStage) {
  // One rank per stage (tp = 1): stage s sends to stage s + 1.
  const int64_t n = world->size(), r = world->rank();
  Expected<std::unique_ptr<Communicator>> self = world->split(r, 0);
  ASSERT_TRUE(self.ok());
  RankLinks links{self->get(), world, world, 1};
  std::vector<float> hidden(6, float(r) + 0.5f), received(6, -1.0f);
  Tensor th = tensorOf(hidden, {1, 2, 3}), tr = tensorOf(received, {6});
  if (r > 0) {
    Status status =
        runKernel("recv", {}, {&tr}, {{1, 2, 3}}, &links, {{"stage", r - 1}});
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(tr.shape, (Shape{1, 2, 3}));
    EXPECT_EQ(received, std::vector<float>(6, float(r - 1) + 0.5f));
  }
  if (r + 1 < n) {
    Status status =
        runKernel("send", {&th}, {}, {}, &links, {{"stage", r + 1}});
    ASSERT_TRUE(status.ok()) << status.message();
  }
}

TEST(MpiKernels, AStageBeyondTheRunIsAnError) {
  const int64_t n = world->size();
  RankLinks links{world, world, world, n};
  std::vector<float> x(2, 0.0f);
  Tensor tx = tensorOf(x, {2});
  Status status = runKernel("send", {&tx}, {}, {}, &links, {{"stage", 1}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "send: stage 1 is not among the 1 stages of this run");
}

TEST(MpiKernels, RanksOtherThanTheStagesAreAnError) {
  const int64_t n = world->size();
  RankLinks links{world, world, world, n};
  std::vector<float> x(2, 0.0f), y(2);
  Tensor tx = tensorOf(x, {2}), ty = tensorOf(y, {2});
  Status status =
      runKernel("all_reduce", {&tx}, {&ty}, {{2}}, &links, {{"ranks", n + 1}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "all_reduce over " + std::to_string(n + 1) +
                                  " ranks, but this rank's stage has " +
                                  std::to_string(n));
}

TEST(MpiKernels, ACommunicationStepOnOneRankSaysHowToLaunch) {
  std::vector<float> x(2, 0.0f), y(2);
  Tensor tx = tensorOf(x, {2}), ty = tensorOf(y, {2});
  Status status =
      runKernel("all_reduce", {&tx}, {&ty}, {{2}}, nullptr, {{"ranks", 2}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "all_reduce: the model is sharded over ranks, "
                              "but this run has one: start it with mpirun "
                              "-np N");
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
  if (!world->allReduceSum(&failedRanks, &failedRanks, 1, DType::f32).ok())
    return 1;
  world = nullptr;
  comm->reset();
  return failedRanks == 0.0f ? 0 : 1;
}
