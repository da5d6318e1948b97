//===- MpiCommunicator.cpp - ranks started by mpirun ----------------------===//

#include "runtime/parallel/MpiCommunicator.h"

#include "runtime/format/Float16.h"
#include "runtime/parallel/RankWatchdog.h"

#include <mpi.h>

#include <cstdlib>
#include <limits>
#include <map>
#include <string>

namespace llmc::runtime {

namespace {

std::string mpiMessage(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, length);
}

/// Sums halves as floats, rounding once per pair (an MPI_User_function).
void sumHalves(void *input, void *inout, int *count, MPI_Datatype *) {
  const auto *in = static_cast<const uint16_t *>(input);
  auto *sum = static_cast<uint16_t *>(inout);
  for (int i = 0; i < *count; ++i)
    sum[i] = format::floatToHalf(format::halfToFloat(in[i]) +
                                 format::halfToFloat(sum[i]));
}

class MpiCommunicator final : public Communicator {
public:
  MpiCommunicator(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm_, &rank);
    MPI_Comm_size(comm_, &size);
    rank_ = rank;
    size_ = size;
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owned_ && !finalized)
      MPI_Comm_free(&comm_);
  }

  int64_t rank() const override { return rank_; }
  int64_t size() const override { return size_; }

  Status allReduceSum(const void *input, void *output, int64_t count,
                      DType dtype) override {
    Expected<int> n = checkedCount(count, "all-reduce");
    if (!n)
      return n.status();
    const void *send = input == output ? MPI_IN_PLACE : input;
    if (dtype == DType::f32)
      return check(MPI_Allreduce(send, output, *n, MPI_FLOAT, MPI_SUM, comm_),
                   "all-reduce");
    if (dtype == DType::f16) {
      Expected<MPI_Op> op = halfSum();
      if (!op)
        return op.status();
      return check(MPI_Allreduce(send, output, *n, MPI_UINT16_T, *op, comm_),
                   "all-reduce");
    }
    return failed(std::string("all-reduce of ") + dtypeName(dtype) +
                  " is not supported (f32 and f16 are)");
  }

  Status allGather(const void *input, void *output, int64_t rows,
                   int64_t columns, DType dtype) override {
    const int64_t rowBytes = columns * dtypeBytes(dtype);
    Expected<int> n = checkedCount(rows * rowBytes, "all-gather");
    if (!n)
      return n.status();
    if (rows == 1)
      return check(
          MPI_Allgather(input, *n, MPI_BYTE, output, *n, MPI_BYTE, comm_),
          "all-gather");
    // Each rank's block lands as `rows` pieces of rowBytes, size() x
    // rowBytes apart, rank q's starting q x rowBytes in: a strided type
    // whose extent is one piece, so that MPI places rank q's at q pieces.
    MPI_Datatype strided, placed;
    if (Status status =
            check(MPI_Type_vector(int(rows), int(rowBytes),
                                  int(rowBytes * size_), MPI_BYTE, &strided),
                  "all-gather");
        !status)
      return status;
    MPI_Type_create_resized(strided, 0, MPI_Aint(rowBytes), &placed);
    MPI_Type_commit(&placed);
    Status status =
        check(MPI_Allgather(input, *n, MPI_BYTE, output, 1, placed, comm_),
              "all-gather");
    MPI_Type_free(&placed);
    MPI_Type_free(&strided);
    return status;
  }

  Status send(const void *data, uint64_t bytes, int64_t to) override {
    Expected<int> n = checkedCount(int64_t(bytes), "send");
    if (!n)
      return n.status();
    return check(MPI_Send(data, *n, MPI_BYTE, int(to), kTag, comm_),
                 "send to rank " + std::to_string(to));
  }

  Status recv(void *data, uint64_t bytes, int64_t from) override {
    Expected<int> n = checkedCount(int64_t(bytes), "receive");
    if (!n)
      return n.status();
    MPI_Status status;
    const std::string what = "receive from rank " + std::to_string(from);
    if (Status result =
            check(MPI_Recv(data, *n, MPI_BYTE, int(from), kTag, comm_, &status),
                  what);
        !result)
      return result;
    int received = 0;
    MPI_Get_count(&status, MPI_BYTE, &received);
    if (received != *n)
      return failed(what + ": " + std::to_string(received) +
                    " bytes arrived, " + std::to_string(*n) + " expected");
    return Status::success();
  }

  Expected<int64_t> startSend(const void *data, uint64_t bytes,
                              int64_t to) override {
    Expected<int> n = checkedCount(int64_t(bytes), "send");
    if (!n)
      return n.status();
    MPI_Request request;
    if (Status status =
            check(MPI_Isend(data, *n, MPI_BYTE, int(to), kTag, comm_, &request),
                  "send to rank " + std::to_string(to));
        !status)
      return status;
    pending_[next_] = {request, to};
    return next_++;
  }

  Status wait(int64_t ticket) override {
    auto found = pending_.find(ticket);
    if (found == pending_.end())
      return failed("no send " + std::to_string(ticket) + " to wait for");
    auto [request, to] = found->second;
    pending_.erase(found);
    return check(MPI_Wait(&request, MPI_STATUS_IGNORE),
                 "send to rank " + std::to_string(to));
  }

  Status broadcast(void *data, uint64_t bytes, int64_t root) override {
    Expected<int> n = checkedCount(int64_t(bytes), "broadcast");
    if (!n)
      return n.status();
    return check(MPI_Bcast(data, *n, MPI_BYTE, int(root), comm_),
                 "broadcast from rank " + std::to_string(root));
  }

  Expected<std::unique_ptr<Communicator>> split(int64_t color,
                                                int64_t key) override {
    MPI_Comm part;
    if (Status status =
            check(MPI_Comm_split(comm_, int(color), int(key), &part), "split");
        !status)
      return status;
    return std::unique_ptr<Communicator>(new MpiCommunicator(part, true));
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code); // MPI_Abort does not return; if it did, end anyway
  }

private:
  /// Point-to-point messages of the plan and the generation loop alike:
  /// every rank sends and receives in the same order.
  static constexpr int kTag = 7;

  Status check(int code, const std::string &what) const {
    if (code == MPI_SUCCESS)
      return Status::success();
    return failed(what + " failed: " + mpiMessage(code));
  }

  Expected<int> checkedCount(int64_t count, const std::string &what) const {
    if (count < 0 || count > std::numeric_limits<int>::max())
      return failed(what + " of " + std::to_string(count) +
                    " elements exceeds MPI's int count");
    return int(count);
  }

  Expected<MPI_Op> halfSum() const {
    static MPI_Op op = MPI_OP_NULL;
    if (op == MPI_OP_NULL)
      if (Status status = check(MPI_Op_create(sumHalves, 1, &op), "f16 sum");
          !status)
        return status;
    return op;
  }

  MPI_Comm comm_;
  bool owned_;
  int64_t rank_ = 0, size_ = 1;
  /// startSend's requests and their destinations, by ticket.
  std::map<int64_t, std::pair<MPI_Request, int64_t>> pending_;
  int64_t next_ = 0;
};

void finalize() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized)
    return;
  stopRankWatchdog();
  MPI_Finalize();
}

} // namespace

bool launchedAsRanks() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char *value = std::getenv(name))
      return true;
  return false;
}

Expected<std::unique_ptr<Communicator>> mpiWorld() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // The calling thread and the rank watchdog's talk to MPI; kernels'
    // worker threads never do.
    int provided = 0;
    if (int code =
            MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
        code != MPI_SUCCESS)
      return Status::error("MPI_Init failed: " + mpiMessage(code));
    std::atexit(finalize);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    startRankWatchdog();
  }
  return std::unique_ptr<Communicator>(
      new MpiCommunicator(MPI_COMM_WORLD, false));
}

Expected<std::unique_ptr<Communicator>> mpiNode() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm node;
  if (int code = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank,
                                     MPI_INFO_NULL, &node);
      code != MPI_SUCCESS)
    return Status::error(
        "rank " + std::to_string(rank) +
        ": finding the ranks on this node failed: " + mpiMessage(code));
  return std::unique_ptr<Communicator>(new MpiCommunicator(node, true));
}

} // namespace llmc::runtime
