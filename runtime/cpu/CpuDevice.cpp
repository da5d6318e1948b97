//===- CpuDevice.cpp - the host as the device a plan runs on --------------===//

#include "runtime/cpu/CpuDevice.h"

#include "kernels/cpu/QuantGemvInt8.h"

#include <cstdlib>
#include <cstring>

namespace llmc::runtime {

KernelFn CpuDevice::kernel(const std::string &name) const {
  return findCpuKernel(name);
}

Expected<Device::Memory> CpuDevice::allocate(uint64_t bytes) {
  if (bytes == 0)
    return Memory();
  void *memory = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!memory)
    return Status::error("cannot allocate " + std::to_string(bytes) +
                         " bytes of host memory");
  return Memory(static_cast<uint8_t *>(memory),
                [](uint8_t *p) { std::free(p); });
}

Status CpuDevice::toDevice(uint8_t *device, const void *host, uint64_t bytes) {
  std::memcpy(device, host, bytes);
  return Status::success();
}

Status CpuDevice::toHost(void *host, const uint8_t *device, uint64_t bytes) {
  std::memcpy(host, device, bytes);
  return Status::success();
}

Status CpuDevice::fill(uint8_t *device, uint8_t value, uint64_t bytes) {
  std::memset(device, value, bytes);
  return Status::success();
}

Expected<const uint8_t *> CpuDevice::weight(const uint8_t *host, uint64_t) {
  return host;
}

std::shared_ptr<const kernels::PackedQuant>
CpuDevice::pack(const kernels::QuantWeight &w) {
  std::optional<kernels::PackedQuant> packed = kernels::packForSelectedPath(w);
  if (!packed)
    return nullptr;
  return std::make_shared<const kernels::PackedQuant>(std::move(*packed));
}

} // namespace llmc::runtime
