//===- KernelTable.cpp - plan kernel names to CPU kernels -----------------===//

#include "runtime/cpu/CpuKernels.h"

#include <cstring>

namespace llmc::runtime {

namespace {

template <int Op> Status binaryKernel(KernelContext &c) {
  return cpu::binary(c, Op);
}

template <int Op> Status unaryKernel(KernelContext &c) {
  return cpu::unary(c, Op);
}

template <int Op> Status reduceKernel(KernelContext &c) {
  return cpu::reduce(c, Op);
}

struct Entry {
  const char *name;
  KernelFn run;
};

constexpr Entry kKernels[] = {
    // Transformer ops.
    {"add_layer_norm", cpu::addLayerNorm},
    {"add_rms_norm", cpu::addRmsNorm},
    {"cached_attention", cpu::cachedAttention},
    {"embedding", cpu::embedding},
    {"gated_mlp", cpu::gatedMlp},
    {"layer_norm", cpu::layerNorm},
    {"linear", cpu::linear},
    {"lm_head", cpu::lmHead},
    {"mlp", cpu::mlp},
    {"rms_norm", cpu::rmsNorm},
    {"rope", cpu::rope},
    // Elementwise.
    {"abs", unaryKernel<cpu::abs>},
    {"add", binaryKernel<cpu::add>},
    {"and", binaryKernel<cpu::logicalAnd>},
    {"cast", cpu::cast},
    {"compare", cpu::compare},
    {"cos", unaryKernel<cpu::cos>},
    {"div", binaryKernel<cpu::div>},
    {"erf", unaryKernel<cpu::erf>},
    {"exp", unaryKernel<cpu::exp>},
    {"fused_elementwise", cpu::fusedElementwise},
    {"gelu", unaryKernel<cpu::gelu>},
    {"is_nan", unaryKernel<cpu::isNan>},
    {"log", unaryKernel<cpu::log>},
    {"max", binaryKernel<cpu::max>},
    {"min", binaryKernel<cpu::min>},
    {"mul", binaryKernel<cpu::mul>},
    {"neg", unaryKernel<cpu::neg>},
    {"not", unaryKernel<cpu::logicalNot>},
    {"or", binaryKernel<cpu::logicalOr>},
    {"pow", binaryKernel<cpu::pow>},
    {"reciprocal", unaryKernel<cpu::reciprocal>},
    {"rsqrt", unaryKernel<cpu::rsqrt>},
    {"select", cpu::select},
    {"sigmoid", unaryKernel<cpu::sigmoid>},
    {"silu", unaryKernel<cpu::silu>},
    {"sin", unaryKernel<cpu::sin>},
    {"sqrt", unaryKernel<cpu::sqrt>},
    {"sub", binaryKernel<cpu::sub>},
    {"tanh", unaryKernel<cpu::tanh>},
    // Contractions and reductions.
    {"cumsum", cpu::cumsum},
    {"matmul", cpu::matmul},
    {"reduce_max", reduceKernel<cpu::maximum>},
    {"reduce_mean", reduceKernel<cpu::mean>},
    {"reduce_sum", reduceKernel<cpu::sum>},
    {"softmax", cpu::softmax},
    // Data movement and shapes.
    {"concat", cpu::concat},
    {"expand", cpu::expand},
    {"gather", cpu::gather},
    {"gather_nd", cpu::gatherNd},
    {"iota", cpu::iota},
    {"range", cpu::range},
    {"shape_of", cpu::shapeOf},
    {"slice", cpu::slice},
    {"split", cpu::split},
    {"transpose", cpu::transpose},
    {"trilu", cpu::trilu},
};

} // namespace

KernelFn findCpuKernel(const std::string &name) {
  for (const Entry &entry : kKernels)
    if (name == entry.name)
      return entry.run;
  return nullptr;
}

} // namespace llmc::runtime
