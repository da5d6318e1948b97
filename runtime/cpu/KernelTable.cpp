//===- KernelTable.cpp - plan kernel names to CPU kernels -----------------===//

#include "runtime/cpu/CpuKernels.h"

#include <cstring>

namespace llmc::runtime {

namespace {

template <int Op> Status binaryKernel(KernelContext &c) {
  return cpu::binary(c, Op);
}

struct Entry {
  const char *name;
  KernelFn run;
};

constexpr Entry kKernels[] = {
    {"add", binaryKernel<cpu::add>},
    {"add_layer_norm", cpu::addLayerNorm},
    {"add_rms_norm", cpu::addRmsNorm},
    {"cached_attention", cpu::cachedAttention},
    {"div", binaryKernel<cpu::div>},
    {"embedding", cpu::embedding},
    {"expand", cpu::expand},
    {"gated_mlp", cpu::gatedMlp},
    {"iota", cpu::iota},
    {"layer_norm", cpu::layerNorm},
    {"linear", cpu::linear},
    {"lm_head", cpu::lmHead},
    {"max", binaryKernel<cpu::max>},
    {"min", binaryKernel<cpu::min>},
    {"mlp", cpu::mlp},
    {"mul", binaryKernel<cpu::mul>},
    {"pow", binaryKernel<cpu::pow>},
    {"rms_norm", cpu::rmsNorm},
    {"rope", cpu::rope},
    {"slice", cpu::slice},
    {"split", cpu::split},
    {"sub", binaryKernel<cpu::sub>},
};

} // namespace

KernelFn findCpuKernel(const std::string &name) {
  for (const Entry &entry : kKernels)
    if (name == entry.name)
      return entry.run;
  return nullptr;
}

} // namespace llmc::runtime
