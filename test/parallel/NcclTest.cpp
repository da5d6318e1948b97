//===- NcclTest.cpp - the NCCL communicator on one GPU --------------------===//
//
// Label `gpu`: without a device every test here is skipped, never passed.
// One process, one GPU, one NCCL rank (a lent machine has one GPU): the
// collectives run through NCCL and keep each value where one rank's join
// puts it; the ranks' exchange is the MPI communicator's tests' (their
// semantics are the same interface's). Bootstrapped by a one-rank
// communicator, as MPI would be with one rank.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaKernels.h"
#include "runtime/format/Float16.h"
#include "runtime/format/KernelContract.h"
#include "runtime/parallel/NcclCommunicator.h"
#include "runtime/support/ThreadPool.h"
#include "test/kernels/cuda/CudaTest.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace llmc;
using namespace llmc::runtime;

namespace {

/// The bootstrap of a one-rank job: its broadcast has nothing to do.
class OneRank final : public Communicator {
public:
  int64_t rank() const override { return 0; }
  int64_t size() const override { return 1; }
  Status allReduceSum(const void *, void *, int64_t, DType) override {
    return unused();
  }
  Status allGather(const void *, void *, int64_t, int64_t, DType) override {
    return unused();
  }
  Status send(const void *, uint64_t, int64_t) override { return unused(); }
  Status recv(void *, uint64_t, int64_t) override { return unused(); }
  Expected<int64_t> startSend(const void *, uint64_t, int64_t) override {
    return unused();
  }
  Status wait(int64_t) override { return unused(); }
  Status broadcast(void *, uint64_t, int64_t) override {
    return Status::success();
  }
  Expected<std::unique_ptr<Communicator>> split(int64_t, int64_t) override {
    return unused();
  }
  [[noreturn]] void abort(int code) override { std::_Exit(code); }

private:
  Status unused() { return failed("not used by NCCL's bootstrap"); }
};

class Nccl : public test::CudaTest {
protected:
  void SetUp() override {
    CudaTest::SetUp();
    if (IsSkipped())
      return;
    Expected<std::unique_ptr<Communicator>> made =
        ncclCommunicator(bootstrap, nullptr);
    ASSERT_TRUE(made.ok()) << made.status().message();
    nccl = std::move(*made);
  }
  OneRank bootstrap;
  std::unique_ptr<Communicator> nccl;
};

} // namespace

TEST_F(Nccl, AllReduceOfOneRankKeepsItsValues) {
  test::DeviceVector<float> x(std::vector<float>{1.5f, -2.0f, 3.25f});
  ASSERT_TRUE(nccl->allReduceSum(x.get(), x.get(), 3, DType::f32).ok());
  EXPECT_EQ(x.host(), (std::vector<float>{1.5f, -2.0f, 3.25f}));
}

TEST_F(Nccl, AllReduceIntoAnotherBufferLeavesItsInput) {
  test::DeviceVector<float> x(std::vector<float>{1.5f, -2.0f}), y(2);
  ASSERT_TRUE(nccl->allReduceSum(x.get(), y.get(), 2, DType::f32).ok());
  EXPECT_EQ(y.host(), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(x.host(), (std::vector<float>{1.5f, -2.0f}));
}

/// Runs the CUDA device's kernel `name` on device tensors with `links`.
Status runCudaKernel(const char *name, Tensor &x, Tensor &y,
                     const RankLinks &links,
                     std::vector<std::pair<std::string, int64_t>> ints) {
  Params params(*format::findKernel(name));
  for (auto &[param, value] : ints)
    params.addInts(param, {value});
  ThreadPool pool(1);
  KernelContext c{params, {&x}, {&y}, {y.shape}, {uint64_t(y.bytes())}, pool};
  c.links = &links;
  KernelFn kernel = findCudaKernel(name);
  if (!kernel)
    return Status::error(std::string("no CUDA kernel ") + name);
  return kernel(c);
}

TEST_F(Nccl, TheCudaDevicesCollectiveKernelsRunThroughIt) {
  // A sharded plan's all_reduce and all_gather on a GPU rank: device
  // memory, through the rank's NCCL communicators (one rank here).
  RankLinks links{nccl.get(), nccl.get(), &bootstrap, 1};
  std::vector<float> values{1.5f, -2.0f, 3.25f, 4.0f};
  test::DeviceVector<float> x(values), y(values.size());
  Tensor tx{DType::f32, {2, 2}, reinterpret_cast<uint8_t *>(x.get())};
  Tensor ty{DType::f32, {2, 2}, reinterpret_cast<uint8_t *>(y.get())};
  Status status = runCudaKernel("all_reduce", tx, ty, links, {{"ranks", 1}});
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(y.host(), values);
  test::DeviceVector<float> z(values.size());
  Tensor tz{DType::f32, {2, 2}, reinterpret_cast<uint8_t *>(z.get())};
  status =
      runCudaKernel("all_gather", tx, tz, links, {{"axis", 1}, {"ranks", 1}});
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(z.host(), values);
}

TEST_F(Nccl, AllReduceTakesHalves) {
  std::vector<uint16_t> halves{format::floatToHalf(0.5f),
                               format::floatToHalf(-4.0f)};
  test::DeviceVector<uint16_t> x(halves);
  ASSERT_TRUE(nccl->allReduceSum(x.get(), x.get(), 2, DType::f16).ok());
  EXPECT_EQ(x.host(), halves);
}

TEST_F(Nccl, AllReduceOfIntegersIsAnErrorNamingTheRank) {
  test::DeviceVector<int64_t> x(std::vector<int64_t>{1, 2});
  Status status = nccl->allReduceSum(x.get(), x.get(), 2, DType::i64);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "rank 0: all-reduce of i64 is not supported (f32 and f16 are)");
}

TEST_F(Nccl, AllGatherOfRowsPlacesEachRowsColumns) {
  // Three rows of two columns through the scratch and the strided copy.
  std::vector<float> rows{1, 2, 3, 4, 5, 6};
  test::DeviceVector<float> in(rows), out(rows.size());
  ASSERT_TRUE(nccl->allGather(in.get(), out.get(), 3, 2, DType::f32).ok());
  EXPECT_EQ(out.host(), rows);
  ASSERT_TRUE(nccl->allGather(in.get(), out.get(), 1, 6, DType::f32).ok());
  EXPECT_EQ(out.host(), rows);
}

TEST_F(Nccl, BroadcastKeepsTheRootsBytes) {
  test::DeviceVector<int64_t> x(std::vector<int64_t>{7, 8, 9});
  ASSERT_TRUE(nccl->broadcast(x.get(), 3 * sizeof(int64_t), 0).ok());
  EXPECT_EQ(x.host(), (std::vector<int64_t>{7, 8, 9}));
}

TEST_F(Nccl, SplitMakesAStageOfItsColor) {
  Expected<std::unique_ptr<Communicator>> stage = nccl->split(0, 0);
  ASSERT_TRUE(stage.ok()) << stage.status().message();
  EXPECT_EQ((*stage)->size(), 1);
  EXPECT_EQ((*stage)->rank(), 0);
  test::DeviceVector<float> x(std::vector<float>{2.0f});
  ASSERT_TRUE((*stage)->allReduceSum(x.get(), x.get(), 1, DType::f32).ok());
  EXPECT_EQ(x.host(), (std::vector<float>{2.0f}));
}

TEST_F(Nccl, WaitingForAnUnknownSendIsAnError) {
  Status status = nccl->wait(41);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "rank 0: no send 41 to wait for");
}
