//===- KernelTable.cpp - plan kernel names to CUDA kernels ----------------===//

#include "runtime/cuda/CudaKernels.h"

#include <cstring>

namespace llmc::runtime {

namespace {

struct Entry {
  const char *name;
  KernelFn run;
};

constexpr Entry kKernels[] = {
    {"embedding", cuda::embedding},
    {"rms_norm", cuda::rmsNorm},
    {"layer_norm", cuda::layerNorm},
    {"add_rms_norm", cuda::addRmsNorm},
    {"add_layer_norm", cuda::addLayerNorm},
    {"linear", cuda::linear},
    {"lm_head", cuda::lmHead},
    {"linears", cuda::linears},
    {"gated_mlp", cuda::gatedMlp},
    {"mlp", cuda::mlp},
    {"rope", cuda::rope},
    {"cached_attention", cuda::cachedAttention},
    {"fused_elementwise", cuda::fusedElementwise},
    {"add", cuda::add},
    {"iota", cuda::iota},
    {"slice", cuda::slice},
    {"split", cuda::split},
};

} // namespace

KernelFn findCudaKernel(const std::string &name) {
  for (const Entry &entry : kKernels)
    if (name == entry.name)
      return entry.run;
  return nullptr;
}

} // namespace llmc::runtime
