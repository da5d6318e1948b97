//===- FuseElementwise.cpp - chains of elementwise calls in one pass ------===//
//
// See Passes.td: plan-fuse-elementwise.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/fusion/ElementwiseCall.h"

#include "runtime/format/ElementwiseProgram.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

constexpr StringLiteral kFused = "fused_elementwise";

/// The index of `value` among `inputs`, added when new.
int64_t inputIndex(SmallVector<Value> &inputs, Value value) {
  auto found = llvm::find(inputs, value);
  if (found != inputs.end())
    return found - inputs.begin();
  inputs.push_back(value);
  return static_cast<int64_t>(inputs.size()) - 1;
}

/// Unary instructions read their one operand twice (b = a), so every
/// operand of a program is defined.
void canonicalizeUnary(ElementwiseCall &program) {
  for (size_t i = 0; i < program.code.size(); i += 3) {
    const format::ElementwiseOpInfo *info =
        format::findElementwiseOp(program.code[i]);
    if (info && info->arity == 1)
      program.code[i + 2] = program.code[i + 1];
  }
}

/// `consumer` with its input `fed` computed by `producer` in place.
ElementwiseCall compose(const ElementwiseCall &consumer, Value fed,
                        const ElementwiseCall &producer) {
  ElementwiseCall merged;
  int64_t produced = static_cast<int64_t>(producer.code.size()) / 3;
  for (size_t i = 0; i < producer.code.size(); i += 3) {
    merged.code.push_back(producer.code[i]);
    for (int64_t operand : {producer.code[i + 1], producer.code[i + 2]})
      merged.code.push_back(
          operand >= 0 ? inputIndex(merged.inputs, producer.inputs[operand])
                       : operand);
  }
  for (size_t i = 0; i < consumer.code.size(); i += 3) {
    merged.code.push_back(consumer.code[i]);
    for (int64_t operand : {consumer.code[i + 1], consumer.code[i + 2]}) {
      if (operand < 0) // a register: after the producer's
        merged.code.push_back(operand - produced);
      else if (consumer.inputs[operand] == fed) // the producer's result
        merged.code.push_back(-produced);
      else
        merged.code.push_back(
            inputIndex(merged.inputs, consumer.inputs[operand]));
    }
  }
  canonicalizeUnary(merged);
  return merged;
}

/// Pulls a producer whose only use is `consumer` into it.
struct FuseProducer : OpRewritePattern<plan::CallOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(plan::CallOp consumer,
                                PatternRewriter &rewriter) const override {
    std::optional<ElementwiseCall> program = asElementwiseCall(consumer);
    if (!program)
      return failure();
    Type type = consumer.getResult(0).getType();
    for (Value operand : consumer.getArgs()) {
      auto producer = operand.getDefiningOp<plan::CallOp>();
      if (!producer || operand.getType() != type || !operand.hasOneUse())
        continue;
      std::optional<ElementwiseCall> inner = asElementwiseCall(producer);
      if (!inner)
        continue;
      ElementwiseCall merged = compose(*program, operand, *inner);
      auto fused = plan::CallOp::create(
          rewriter,
          rewriter.getFusedLoc({producer.getLoc(), consumer.getLoc()}),
          TypeRange{type}, rewriter.getStringAttr(kFused), merged.inputs,
          rewriter.getDictionaryAttr({rewriter.getNamedAttr(
              "program", rewriter.getDenseI64ArrayAttr(merged.code))}),
          DenseI64ArrayAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr(),
          DenseI64ArrayAttr());
      rewriter.replaceOp(consumer, fused.getResults());
      rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

struct FuseElementwise : llmc::impl::FuseElementwiseBase<FuseElementwise> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseProducer>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
