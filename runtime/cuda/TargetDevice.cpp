//===- TargetDevice.cpp - the GPU that runs a cuda artifact ---------------===//

#include "runtime/cuda/TargetDevice.h"

#include "kernels/cuda/DeviceProbe.h"

namespace llmc::runtime {

namespace kc = llmc::kernels::cuda;

Expected<int> selectCudaDevice(const Target &target) {
  std::string needs = "the artifact targets " + target.str() +
                      " and needs an NVIDIA GPU of architecture " +
                      target.archList() + " or newer";
  std::string why;
  int count = kc::countDevices(&why);
  if (count == 0)
    return Status::error(needs + "; none is usable here: " + why);
  std::string found;
  int firstArch = 0;
  for (int ordinal = 0; ordinal < count; ++ordinal) {
    kc::DeviceInfo info;
    std::string error;
    if (!kc::queryDevice(ordinal, info, error))
      return Status::error(needs + "; device " + std::to_string(ordinal) +
                           ": " + error);
    int arch = info.computeMajor * 10 + info.computeMinor;
    std::string name = "device " + std::to_string(ordinal) + " (" + info.name +
                       ", sm_" + std::to_string(arch) + ")";
    if (!target.runsOn(arch)) {
      found += (found.empty() ? "" : ", ") + name;
      if (!firstArch)
        firstArch = arch;
      continue;
    }
    if (!kc::probeKernelLaunch(ordinal, error))
      return Status::error(name +
                           " cannot run the kernels built into this "
                           "llmc-run (rebuild it with "
                           "CMAKE_CUDA_ARCHITECTURES including " +
                           std::to_string(arch) + "): " + error);
    return ordinal;
  }
  return Status::error(needs + "; found " + found +
                       ": compile the model again with --target cuda:sm_" +
                       std::to_string(firstArch));
}

} // namespace llmc::runtime
