//===- CpuDevice.h - the host as the device a plan runs on ----------------===//

#ifndef LLMC_RUNTIME_CPU_CPUDEVICE_H
#define LLMC_RUNTIME_CPU_CPUDEVICE_H

#include "runtime/exec/Device.h"

namespace llmc::runtime {

/// Kernels of runtime/cpu on host memory: weights are read where the
/// artifact is mapped, and copies are plain memcpy.
class CpuDevice final : public Device {
public:
  std::string name() const override { return "cpu"; }
  bool hostVisible() const override { return true; }
  KernelFn kernel(const std::string &name) const override;
  Expected<Memory> allocate(uint64_t bytes) override;
  bool owns(const void *) const override { return true; }
  Status toDevice(uint8_t *device, const void *host, uint64_t bytes) override;
  Status toHost(void *host, const uint8_t *device, uint64_t bytes) override;
  Status fill(uint8_t *device, uint8_t value, uint64_t bytes) override;
  Expected<const uint8_t *> weight(const uint8_t *host,
                                   uint64_t bytes) override;
  std::shared_ptr<const kernels::PackedQuant>
  pack(const kernels::QuantWeight &w) override;
  void prepare(KernelContext &) override {}
  Status synchronize() override { return Status::success(); }
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_CPU_CPUDEVICE_H
