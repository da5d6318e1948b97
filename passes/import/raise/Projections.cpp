//===- Projections.cpp - raise linears, embeddings and the lm_head --------===//
//
//   MatMul(x, W[in, out] constant)            -> linear(x, transpose(W))
//   MatMul(x, transpose(dequantize(q)))       -> linear(x, q)
//   Add(linear(x, W), b[out] constant)        -> linear(x, W, b)
//   Gather(table[vocab, dim] constant, ids)   -> embedding(table, ids)
//   the linear whose result the graph returns -> lm_head, sharing the
//   embedding table when its weight holds the same data (tied weights)
// llmc's linear weights are [out, in] (PyTorch's and GPTQ's layout); a
// weight blob stored [in, out] stays behind a transpose (see TransposeOp's
// folder), small literals fold.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/analysis/SliceEvaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace llmc {
namespace {

struct RaiseLinear : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Value weight = op.getRhs();
    RankedTensorType type = cast<RankedTensorType>(weight.getType());
    if (type.getRank() != 2 || !type.hasStaticShape())
      return rewriter.notifyMatchFailure(
          op, "linear: the right operand is not a 2-D matrix of known shape");
    // Weight [out, in]: the constant the exporter transposed, if it did, or
    // the quantized weight a DequantizeLinear made.
    Value outIn;
    auto transpose = weight.getDefiningOp<TransposeOp>();
    auto dequantize = transpose
                          ? transpose.getInput().getDefiningOp<DequantizeOp>()
                          : DequantizeOp();
    if (transpose && isConstant(transpose.getInput()))
      outIn = transpose.getInput();
    else if (dequantize && dequantize.getInput().getDefiningOp<QConstantOp>())
      outIn = dequantize.getInput();
    else if (isConstant(weight))
      outIn = TransposeOp::create(
          rewriter, op.getLoc(),
          RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                type.getElementType()),
          weight, rewriter.getDenseI64ArrayAttr({1, 0}));
    else
      return rewriter.notifyMatchFailure(
          op, "linear: the right operand is not a constant (transposed or "
              "not) nor a dequantized constant");
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), op.getLhs(), outIn,
                                          Value());
    return success();
  }
};

struct FoldLinearBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [product, bias] : {std::pair(op.getLhs(), op.getRhs()),
                                 std::pair(op.getRhs(), op.getLhs())}) {
      auto linear = product.getDefiningOp<LinearOp>();
      auto biasType = dyn_cast<RankedTensorType>(bias.getType());
      if (!linear || linear.getBias() || !linear->hasOneUse() ||
          !isConstant(bias) || !biasType || biasType.getRank() != 1 ||
          op.getType() != linear.getType())
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), linear.getInput(),
                                            linear.getWeight(), bias);
      return success();
    }
    return rewriter.notifyMatchFailure(
        op, "linear bias: not a bias-free linear (used only here) plus a "
            "constant vector");
  }
};

struct RaiseEmbedding : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType table = op.getData().getType();
    if (op.getAxis() != 0 || table.getRank() != 2 ||
        !isa<FloatType>(table.getElementType()) || !isConstant(op.getData()))
      return rewriter.notifyMatchFailure(
          op, "embedding: not rows (axis 0) of a constant 2-D float table");
    rewriter.replaceOpWithNewOp<EmbeddingOp>(op, op.getType(), op.getData(),
                                             op.getIndices());
    return success();
  }
};

/// A linear without bias whose result is returned, or reaches the return
/// through an elementwise chain with scalars (Gemma 2's final soft-cap).
struct RaiseLmHead : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    auto returned = [](Value value) {
      return llvm::any_of(value.getUsers(), [](Operation *user) {
        return isa<func::ReturnOp>(user);
      });
    };
    SmallVector<Operation *> chain;
    if (op.getBias() || !(returned(op.getResult()) ||
                          returned(followScalarChain(op.getResult(), chain))))
      return rewriter.notifyMatchFailure(
          op, "lm_head: has a bias, or its result does not reach the return "
              "(directly or through elementwise ops with scalars)");
    rewriter.replaceOpWithNewOp<LmHeadOp>(op, op.getType(), op.getInput(),
                                          op.getWeight());
    return success();
  }
};

/// Ties the lm_head to the embedding table when the exporter stored the
/// table twice (a transposed copy for the final MatMul): one weight, shared.
struct TieLmHead : OpRewritePattern<LmHeadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LmHeadOp op,
                                PatternRewriter &rewriter) const override {
    auto function = op->getParentOfType<func::FuncOp>();
    Value table;
    function.walk([&](EmbeddingOp embedding) {
      if (embedding.getTable() != op.getWeight() &&
          holdSameWeight(op.getWeight(), embedding.getTable()))
        table = embedding.getTable();
    });
    if (!table)
      return rewriter.notifyMatchFailure(
          op, "tied lm_head: no embedding table holds the same weights");
    rewriter.modifyOpInPlace(op, [&] { op.getWeightMutable().assign(table); });
    return success();
  }
};

} // namespace

void populateRaiseProjectionPatterns(RewritePatternSet &patterns) {
  patterns
      .add<RaiseLinear, FoldLinearBias, RaiseEmbedding, RaiseLmHead, TieLmHead>(
          patterns.getContext());
}

} // namespace llmc
