//===- OutlineCudaKernels.cpp - number the generated CUDA kernels ---------===//
//
// See Passes.td: plan-outline-cuda-kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/fusion/ElementwiseCall.h"
#include "runtime/format/ElementwiseProgram.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
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

/// A float elementwise call with an operand broadcast along some axes
/// (GPT-2's token embeddings [b, s, d] plus position embeddings [s, d]):
/// the operand is first expanded to the result's shape, since a generated
/// kernel reads each operand whole or as a single element.
struct ExpandBroadcastOperands : OpRewritePattern<plan::CallOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(plan::CallOp call,
                                PatternRewriter &rewriter) const override {
    const format::ElementwiseOpInfo *info =
        format::findElementwiseOp(call.getKernel().str().c_str());
    if (!info || call.getNumResults() != 1 || call.getAliases() ||
        call.getAbsent() || !call.getParams().empty())
      return rewriter.notifyMatchFailure(call, "not a plain elementwise call");
    auto type = dyn_cast<RankedTensorType>(call.getResult(0).getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      return rewriter.notifyMatchFailure(call, "not over float tensors");
    bool expanded = false;
    SmallVector<Value> operands(call.getArgs().begin(), call.getArgs().end());
    for (Value &operand : operands) {
      auto operandType = dyn_cast<RankedTensorType>(operand.getType());
      if (!operandType || operandType == type ||
          operandType.getElementType() != type.getElementType() ||
          (operandType.hasStaticShape() && operandType.getNumElements() == 1))
        continue;
      operand = plan::CallOp::create(rewriter, call.getLoc(), TypeRange{type},
                                     rewriter.getStringAttr("expand"),
                                     ValueRange{operand},
                                     rewriter.getDictionaryAttr({}),
                                     DenseI64ArrayAttr(), DenseI64ArrayAttr(),
                                     DenseI64ArrayAttr(), DenseI64ArrayAttr())
                    .getResult(0);
      expanded = true;
    }
    if (!expanded)
      return rewriter.notifyMatchFailure(call, "no broadcast operand");
    rewriter.modifyOpInPlace(call,
                             [&] { call.getArgsMutable().assign(operands); });
    return success();
  }
};

/// A lone elementwise call as a fused_elementwise program of one
/// instruction.
struct WrapLoneElementwise : OpRewritePattern<plan::CallOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(plan::CallOp call,
                                PatternRewriter &rewriter) const override {
    if (call.getKernel() == "fused_elementwise")
      return failure();
    std::optional<ElementwiseCall> program = asElementwiseCall(call);
    if (!program)
      return failure();
    auto params = rewriter.getDictionaryAttr(rewriter.getNamedAttr(
        "program", rewriter.getDenseI64ArrayAttr(program->code)));
    rewriter.replaceOpWithNewOp<plan::CallOp>(
        call, call.getResultTypes(),
        rewriter.getStringAttr("fused_elementwise"), program->inputs, params,
        DenseI64ArrayAttr(), DenseI64ArrayAttr(), call.getOffsetsAttr(),
        call.getScratchAttr());
    return success();
  }
};

struct OutlineCudaKernels
    : llmc::impl::OutlineCudaKernelsBase<OutlineCudaKernels> {
  using OutlineCudaKernelsBase::OutlineCudaKernelsBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandBroadcastOperands, WrapLoneElementwise>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Then the numbering (an annotation, made in one walk).
    llvm::MapVector<Attribute, int64_t> indices;
    getOperation().walk([&](plan::CallOp call) {
      if (call.getKernel() != "fused_elementwise")
        return;
      auto [found, added] = indices.try_emplace(
          signatureOf(call), firstKernel + int64_t(indices.size()));
      NamedAttrList params(call.getParams());
      params.set("cuda_kernel",
                 Builder(call.getContext()).getI64IntegerAttr(found->second));
      call.setParamsAttr(params.getDictionary(call.getContext()));
    });
  }
};

} // namespace
