//===- TargetDevice.h - the GPU that runs a cuda artifact -----------------===//
//
// Before a cuda artifact is loaded the runtime picks the device that runs
// it, so that a missing driver, a missing GPU or a GPU of an architecture
// the artifact was not compiled for is one clear error at load time rather
// than "no kernel image is available" at the first launch.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_CUDA_TARGETDEVICE_H
#define LLMC_RUNTIME_CUDA_TARGETDEVICE_H

#include "runtime/format/Target.h"

namespace llmc::runtime {

/// The ordinal of the first visible CUDA device that runs `target`'s
/// generated kernels (Target::runsOn) and the kernels built into this
/// runtime; otherwise an error naming what is needed and what was found.
Expected<int> selectCudaDevice(const Target &target);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CUDA_TARGETDEVICE_H
