//===- OutlineCudaKernels.cpp - number the generated CUDA kernels ---------===//
//
// See Passes.td: plan-outline-cuda-kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/fusion/ElementwiseCall.h"

#include "llvm/ADT/MapVector.h"

namespace llmc {
#define GEN_PASS_DEF_OUTLINECUDAKERNELS
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// What makes two fused calls one generated function: the program, and
/// each operand's and the result's element type and whether it is a single
/// element (all in one attribute, so equal calls compare equal).
Attribute signatureOf(plan::CallOp call) {
  Builder b(call.getContext());
  SmallVector<Attribute> parts{call.getParams().get("program")};
  auto describe = [&](Type type) {
    auto tensor = cast<RankedTensorType>(type);
    bool single = tensor.hasStaticShape() && tensor.getNumElements() == 1;
    parts.push_back(TypeAttr::get(tensor.getElementType()));
    parts.push_back(b.getBoolAttr(single));
  };
  for (Value operand : call.getArgs())
    describe(operand.getType());
  describe(call.getResult(0).getType());
  return b.getArrayAttr(parts);
}

struct OutlineCudaKernelsPass
    : llmc::impl::OutlineCudaKernelsBase<OutlineCudaKernelsPass> {
  void runOnOperation() override {
    // Lone elementwise calls become programs of one instruction.
    SmallVector<plan::CallOp> lone;
    getOperation().walk([&](plan::CallOp call) {
      if (call.getKernel() != "fused_elementwise" && asElementwiseCall(call))
        lone.push_back(call);
    });
    for (plan::CallOp call : lone) {
      std::optional<ElementwiseCall> program = asElementwiseCall(call);
      OpBuilder b(call);
      auto params = b.getDictionaryAttr(
          b.getNamedAttr("program", b.getDenseI64ArrayAttr(program->code)));
      auto fused = plan::CallOp::create(
          b, call.getLoc(), call.getResultTypes(),
          b.getStringAttr("fused_elementwise"), program->inputs, params,
          DenseI64ArrayAttr(), DenseI64ArrayAttr(), call.getOffsetsAttr());
      call.replaceAllUsesWith(fused.getResults());
      call.erase();
    }
    llvm::MapVector<Attribute, int64_t> indices;
    getOperation().walk([&](plan::CallOp call) {
      if (call.getKernel() != "fused_elementwise")
        return;
      auto [found, added] =
          indices.try_emplace(signatureOf(call), indices.size());
      NamedAttrList params(call.getParams());
      params.set("cuda_kernel",
                 Builder(call.getContext()).getI64IntegerAttr(found->second));
      call.setParamsAttr(params.getDictionary(call.getContext()));
    });
  }
};

} // namespace
