//===- PlanCudaGemms.cpp - the cuBLASLt call of each GEMM -----------------===//
//
// See Passes.td: plan-cuda-gemms.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "runtime/format/GemmPlan.h"

namespace llmc {
#define GEN_PASS_DEF_PLANCUDAGEMMS
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

using Epilogue = format::GemmEpilogue;

/// Whether optional operand `position` (counted as if all were present) is
/// there.
bool present(plan::CallOp call, int64_t position) {
  SmallVector<Value> args = call.getArgsByPosition();
  return position < static_cast<int64_t>(args.size()) && args[position];
}

Epilogue biasIf(bool bias) { return bias ? Epilogue::bias : Epilogue::none; }

/// The epilogue of each GEMM of `call`, in the order its kernel runs
/// them; empty when it holds none. A quantized weight's entry is unused
/// (the weight-only kernels add its bias themselves).
SmallVector<Epilogue> epilogues(plan::CallOp call) {
  StringRef kernel = call.getKernel();
  auto floatWeight = [&](unsigned index) {
    auto type =
        index < call.getNumOperands()
            ? dyn_cast<RankedTensorType>(call.getOperand(index).getType())
            : RankedTensorType();
    return type && isa<FloatType>(type.getElementType());
  };
  if (kernel == "linear")
    return {biasIf(present(call, 2))};
  if (kernel == "lm_head")
    return {Epilogue::none};
  if (kernel == "linears") {
    unsigned count = call.getNumResults();
    bool biased = call.getNumOperands() == 1 + 2 * count;
    return SmallVector<Epilogue>(count, biasIf(biased));
  }
  if (kernel == "gated_mlp")
    return {Epilogue::none, Epilogue::none, Epilogue::none};
  if (kernel == "mlp") {
    auto activation = call.getParams().getAs<IntegerAttr>("activation");
    bool tanhGelu = activation && activation.getInt() == 2 && floatWeight(1);
    bool upBias = present(call, 3);
    Epilogue up = tanhGelu ? (upBias ? Epilogue::geluBias : Epilogue::gelu)
                           : biasIf(upBias);
    return {up, biasIf(present(call, 4))};
  }
  return {};
}

struct PlanCudaGemms : llmc::impl::PlanCudaGemmsBase<PlanCudaGemms> {
  void runOnOperation() override {
    getOperation().walk([&](plan::CallOp call) {
      SmallVector<Epilogue> list = epilogues(call);
      if (list.empty())
        return;
      Builder b(call.getContext());
      SmallVector<int64_t> codes;
      for (Epilogue epilogue : list)
        codes.push_back(static_cast<int64_t>(epilogue));
      NamedAttrList params(call.getParams());
      params.set(format::kGemmEpilogues, b.getDenseI64ArrayAttr(codes));
      params.set(format::kGemmCompute, b.getI64IntegerAttr(static_cast<int64_t>(
                                           format::GemmCompute::f32)));
      call.setParamsAttr(params.getDictionary(call.getContext()));
    });
  }
};

} // namespace
