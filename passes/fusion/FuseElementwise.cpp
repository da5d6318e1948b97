//===- FuseElementwise.cpp - chains of f32 elementwise calls in one pass --===//
//
// See Passes.td: plan-fuse-elementwise.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

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

/// A call seen as a program over its inputs (see ElementwiseProgram.h).
struct Program {
  SmallVector<Value> inputs;
  SmallVector<int64_t> code;
};

bool isScalar(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() && tensor.getNumElements() == 1;
}

/// `call` as a program, when it is an f32 elementwise call whose operands
/// all have its result's type or are single elements.
std::optional<Program> asProgram(plan::CallOp call) {
  if (call.getNumResults() != 1 || call.getAliases() || call.getAbsent())
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(call.getResult(0).getType());
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  for (Value operand : call.getArgs()) {
    auto operandType = dyn_cast<RankedTensorType>(operand.getType());
    if (!operandType || !operandType.getElementType().isF32() ||
        (operandType != type && !isScalar(operandType)))
      return std::nullopt;
  }
  Program program;
  program.inputs.assign(call.getArgs().begin(), call.getArgs().end());
  if (call.getKernel() == kFused) {
    auto code = call.getParams().getAs<DenseI64ArrayAttr>("program");
    if (!code)
      return std::nullopt;
    program.code.assign(code.asArrayRef().begin(), code.asArrayRef().end());
    return program;
  }
  const format::ElementwiseOpInfo *info =
      format::findElementwiseOp(call.getKernel().str().c_str());
  if (!info || !call.getParams().empty() ||
      static_cast<int>(call.getNumOperands()) != info->arity)
    return std::nullopt;
  program.code = {static_cast<int64_t>(info->opcode), 0,
                  info->arity == 2 ? 1 : 0};
  return program;
}

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
void canonicalizeUnary(Program &program) {
  for (size_t i = 0; i < program.code.size(); i += 3) {
    const format::ElementwiseOpInfo *info =
        format::findElementwiseOp(program.code[i]);
    if (info && info->arity == 1)
      program.code[i + 2] = program.code[i + 1];
  }
}

/// `consumer` with its input `fed` computed by `producer` in place.
Program compose(const Program &consumer, Value fed, const Program &producer) {
  Program merged;
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
    std::optional<Program> program = asProgram(consumer);
    if (!program)
      return failure();
    Type type = consumer.getResult(0).getType();
    for (Value operand : consumer.getArgs()) {
      auto producer = operand.getDefiningOp<plan::CallOp>();
      if (!producer || operand.getType() != type || !operand.hasOneUse())
        continue;
      std::optional<Program> inner = asProgram(producer);
      if (!inner)
        continue;
      Program merged = compose(*program, operand, *inner);
      auto fused = plan::CallOp::create(
          rewriter,
          rewriter.getFusedLoc({producer.getLoc(), consumer.getLoc()}),
          TypeRange{type}, rewriter.getStringAttr(kFused), merged.inputs,
          rewriter.getDictionaryAttr({rewriter.getNamedAttr(
              "program", rewriter.getDenseI64ArrayAttr(merged.code))}),
          DenseI64ArrayAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr());
      rewriter.replaceOp(consumer, fused.getResults());
      rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

struct FuseElementwisePass
    : llmc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseProducer>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
