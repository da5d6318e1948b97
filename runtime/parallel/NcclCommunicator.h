//===- NcclCommunicator.h - GPU ranks' communicator -----------------------===//
//
// NCCL among GPU ranks that MPI started: rank 0 of the bootstrap (MPI)
// communicator makes NCCL's unique id and broadcasts it, and every rank
// joins with its own GPU current. Data are device pointers; collectives
// and sends are ordered on the stream given, after the kernels before
// them, as the plan's other kernels are. f16 sums are NCCL's (rounded to
// f16 at each addition: the same as one rounding of the f32 sum for two
// ranks). A runtime built without CUDA says so.
//
// This header needs no CUDA or NCCL.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_PARALLEL_NCCLCOMMUNICATOR_H
#define LLMC_RUNTIME_PARALLEL_NCCLCOMMUNICATOR_H

#include "runtime/parallel/Communicator.h"

namespace llmc::runtime {

/// The ranks of `bootstrap` (every one must call it) as NCCL ranks on
/// their current GPUs, ordered on `stream` (a cudaStream_t; null: the
/// default stream). `bootstrap` must outlive the result: abort() ends the
/// job through it.
Expected<std::unique_ptr<Communicator>>
ncclCommunicator(Communicator &bootstrap, void *stream);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_PARALLEL_NCCLCOMMUNICATOR_H
