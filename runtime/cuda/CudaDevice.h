//===- CudaDevice.h - a GPU as the device a cuda artifact runs on ---------===//
//
// Opening a cuda artifact picks the GPU first, so that a missing driver, a
// missing GPU or one of an architecture the artifact was not compiled for
// is one clear error at load time rather than "no kernel image is
// available" at the first launch. The device then holds one stream,
// cuBLASLt, the artifact's generated kernels (its "cuda fatbin") and
// every weight, uploaded once through pinned staging buffers.
//
// This header needs no CUDA: a runtime built without the toolkit links
// NoCuda.cpp, whose openCudaDevice says so.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CUDA_CUDADEVICE_H
#define LLMC_RUNTIME_CUDA_CUDADEVICE_H

#include "runtime/exec/Device.h"
#include "runtime/format/Artifact.h"
#include "runtime/format/Target.h"

namespace llmc::runtime {

/// The first visible GPU that runs `target`'s generated kernels
/// (Target::runsOn) and the kernels built into this runtime, set up for
/// `artifact` (which must outlive it); otherwise an error naming what is
/// needed and what was found. The rank `local` of `localRanks` on a node
/// takes the local-th such GPU: one each, or an error naming how many
/// there are.
Expected<std::unique_ptr<Device>> openCudaDevice(const Target &target,
                                                 const Artifact &artifact,
                                                 int64_t local = 0,
                                                 int64_t localRanks = 1);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CUDA_CUDADEVICE_H
