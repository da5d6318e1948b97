//===- KernelTable.cpp - plan kernel names to CUDA kernels ----------------===//

#include "runtime/cuda/CudaKernels.h"
#include "runtime/parallel/CollectiveKernels.h"

namespace llmc::runtime {

// Kernels of the contract (runtime/format/KernelContract.cpp) that the CUDA
// device implements; the kernel-table test fails on a name the contract does
// not declare.
const std::vector<KernelEntry> &cudaKernelTable() {
  static const std::vector<KernelEntry> table = {
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
      {"expand", cuda::expand},
      {"iota", cuda::iota},
      {"slice", cuda::slice},
      {"split", cuda::split},
      // Device memory through the rank's NCCL communicators.
      {"all_gather", collective::allGather},
      {"all_reduce", collective::allReduce},
      {"recv", collective::recv},
      {"send", collective::send},
  };
  return table;
}

KernelFn findCudaKernel(const std::string &name) {
  for (const KernelEntry &entry : cudaKernelTable())
    if (name == entry.name)
      return entry.run;
  return nullptr;
}

} // namespace llmc::runtime
