//===- NoNccl.cpp - ncclCommunicator in a runtime built without NCCL ------===//

#include "runtime/parallel/NcclCommunicator.h"

namespace llmc::runtime {

Expected<std::unique_ptr<Communicator>>
ncclCommunicator(Communicator &bootstrap, void *) {
  return Status::error("rank " + std::to_string(bootstrap.rank()) +
                       ": GPU ranks need NCCL, and this llmc-run was built "
                       "without it (the CUDA toolkit or its NCCL was not "
                       "found when it was configured)");
}

} // namespace llmc::runtime
