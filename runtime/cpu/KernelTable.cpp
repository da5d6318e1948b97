//===- KernelTable.cpp - plan kernel names to CPU kernels -----------------===//

#include "runtime/cpu/CpuKernels.h"
#include "runtime/parallel/CollectiveKernels.h"

namespace llmc::runtime {

namespace {

using Op = format::ElementwiseOpcode;

template <Op op> Status binaryKernel(KernelContext &c) {
  return cpu::binary(c, op);
}

template <Op op> Status unaryKernel(KernelContext &c) {
  return cpu::unary(c, op);
}

template <int Op> Status reduceKernel(KernelContext &c) {
  return cpu::reduce(c, Op);
}

} // namespace

// Every kernel of the contract (runtime/format/KernelContract.cpp); the
// kernel-table test fails on one missing here or on a name it does not
// declare.
const std::vector<KernelEntry> &cpuKernelTable() {
  static const std::vector<KernelEntry> table = {
      // Transformer ops.
      {"add_layer_norm", cpu::addLayerNorm},
      {"add_rms_norm", cpu::addRmsNorm},
      {"cached_attention", cpu::cachedAttention},
      {"embedding", cpu::embedding},
      {"gated_mlp", cpu::gatedMlp},
      {"layer_norm", cpu::layerNorm},
      {"linear", cpu::linear},
      {"linears", cpu::linears},
      {"lm_head", cpu::lmHead},
      {"mlp", cpu::mlp},
      {"rms_norm", cpu::rmsNorm},
      {"rope", cpu::rope},
      // Elementwise.
      {"abs", unaryKernel<Op::abs>},
      {"add", binaryKernel<Op::add>},
      {"and", binaryKernel<Op::logicalAnd>},
      {"cast", cpu::cast},
      {"compare", cpu::compare},
      {"cos", unaryKernel<Op::cos>},
      {"div", binaryKernel<Op::div>},
      {"erf", unaryKernel<Op::erf>},
      {"exp", unaryKernel<Op::exp>},
      {"fused_elementwise", cpu::fusedElementwise},
      {"gelu", unaryKernel<Op::gelu>},
      {"is_nan", unaryKernel<Op::isNan>},
      {"log", unaryKernel<Op::log>},
      {"max", binaryKernel<Op::max>},
      {"min", binaryKernel<Op::min>},
      {"mul", binaryKernel<Op::mul>},
      {"neg", unaryKernel<Op::neg>},
      {"not", unaryKernel<Op::logicalNot>},
      {"or", binaryKernel<Op::logicalOr>},
      {"pow", binaryKernel<Op::pow>},
      {"reciprocal", unaryKernel<Op::reciprocal>},
      {"rsqrt", unaryKernel<Op::rsqrt>},
      {"select", cpu::select},
      {"sigmoid", unaryKernel<Op::sigmoid>},
      {"silu", unaryKernel<Op::silu>},
      {"sin", unaryKernel<Op::sin>},
      {"sqrt", unaryKernel<Op::sqrt>},
      {"sub", binaryKernel<Op::sub>},
      {"tanh", unaryKernel<Op::tanh>},
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
      {"scatter_nd", cpu::scatterNd},
      {"iota", cpu::iota},
      {"range", cpu::range},
      {"shape_of", cpu::shapeOf},
      {"slice", cpu::slice},
      {"split", cpu::split},
      {"transpose", cpu::transpose},
      {"trilu", cpu::trilu},
      // Communication between ranks.
      {"all_gather", collective::allGather},
      {"all_reduce", collective::allReduce},
      {"recv", collective::recv},
      {"send", collective::send},
  };
  return table;
}

KernelFn findCpuKernel(const std::string &name) {
  for (const KernelEntry &entry : cpuKernelTable())
    if (name == entry.name)
      return entry.run;
  return nullptr;
}

} // namespace llmc::runtime
