//===- DeviceProbe.h - can this process run llmc's CUDA code? -------------===//
//
// Before loading an artifact for CUDA the runtime asks whether a device is
// present and whether the kernels compiled into this binary run on it: a
// fatbin without the device's architecture fails only at the first launch,
// far from the cause ("no kernel image is available").
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_DEVICEPROBE_H
#define LLMC_KERNELS_CUDA_DEVICEPROBE_H

#include <cstddef>
#include <string>

namespace llmc::kernels::cuda {

struct DeviceInfo {
  std::string name;
  int computeMajor = 0;
  int computeMinor = 0;
  int multiprocessors = 0;
  std::size_t globalMemoryBytes = 0;
};

/// Number of visible CUDA devices; 0 when there is no device or no driver
/// (`why` then says which).
int countDevices(std::string *why = nullptr);

/// Properties of device `ordinal`; false with `error` set on failure.
bool queryDevice(int ordinal, DeviceInfo &info, std::string &error);

/// Launches a kernel from this binary on `ordinal` and checks its result;
/// false with `error` naming the CUDA error otherwise.
bool probeKernelLaunch(int ordinal, std::string &error);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_DEVICEPROBE_H
