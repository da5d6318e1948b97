//===- NoCuda.cpp - selectCudaDevice in a runtime built without CUDA ------===//

#include "runtime/cuda/TargetDevice.h"

namespace llmc::runtime {

Expected<int> selectCudaDevice(const Target &target) {
  return Status::error("the artifact targets " + target.str() +
                       ", and this llmc-run was built without CUDA (the "
                       "CUDA toolkit was not found when it was configured)");
}

} // namespace llmc::runtime
