//===- NoCuda.cpp - openCudaDevice in a runtime built without CUDA --------===//

#include "runtime/cuda/CudaDevice.h"

namespace llmc::runtime {

Expected<std::unique_ptr<Device>>
openCudaDevice(const Target &target, const Artifact &, int64_t, int64_t) {
  return Status::error("the artifact targets " + target.str() +
                       ", and this llmc-run was built without CUDA (the "
                       "CUDA toolkit was not found when it was configured)");
}

} // namespace llmc::runtime
