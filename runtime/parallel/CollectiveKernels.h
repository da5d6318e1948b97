//===- CollectiveKernels.h - a sharded plan's talk between ranks ----------===//
//
// The plan kernels of passes/parallel/: all_reduce and all_gather over the
// rank's pipeline stage, send and recv to the same tensor-parallel rank of
// another stage, through the communicators the executor was given
// (RankLinks::stage and ::world). They only hand the tensors' memory to
// those, so one implementation serves every device: on the CPU (or the
// cpu-staged device) MPI moves host memory, on a GPU NCCL moves device
// memory, ordered on the device's stream after the kernels before.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_PARALLEL_COLLECTIVEKERNELS_H
#define LLMC_RUNTIME_PARALLEL_COLLECTIVEKERNELS_H

#include "runtime/exec/Kernel.h"

namespace llmc::runtime::collective {

Status allReduce(KernelContext &c);
Status allGather(KernelContext &c);
Status send(KernelContext &c);
Status recv(KernelContext &c);

} // namespace llmc::runtime::collective

#endif // LLMC_RUNTIME_PARALLEL_COLLECTIVEKERNELS_H
