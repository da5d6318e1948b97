//===- Attention.cpp - raise scaled dot-product attention -----------------===//
//
// What PyTorch exports for attention, in [batch, sequence, heads, head_dim]:
//   scores = Transpose(q, 0213) @ Transpose(k, 0231)       (* c or / c)
//   scores = scores + mask[:s, :s]                        (llama2.c)
//          | Where(mask[:s, :s] == 0, -inf, scores)       (nanoGPT)
//   out    = Transpose(Softmax(scores, -1) @ Transpose(v, 0213), 0213)
// with grouped-query k/v repeated by Reshape/Expand/Reshape. The masks are
// constants, checked to be causal before `causal` is set; the repeat is
// dropped because llmc.attention reads kv heads directly.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;

namespace llmc {
namespace {

bool isTransposeOf(Value value, ArrayRef<int64_t> permutation, Value &input) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPermutation() != permutation)
    return false;
  input = transpose.getInput();
  return true;
}

/// Undoes the grouped-query repeat: Reshape(Expand(Reshape(kv -> [b,s,g,1,d])
/// -> [b,s,g,r,d]) -> [b,s,g*r,d]) is kv as [b,s,g,d] (reshaped to that when
/// the exporter started from another shape).
Value unrepeatKv(Value value, PatternRewriter &rewriter) {
  auto merge = value.getDefiningOp<ReshapeOp>();
  if (!merge)
    return value;
  auto expand = merge.getInput().getDefiningOp<ExpandOp>();
  if (!expand)
    return value;
  auto split = expand.getInput().getDefiningOp<ReshapeOp>();
  if (!split)
    return value;
  RankedTensorType grouped = split.getType();
  if (grouped.getRank() != 5 || grouped.getDimSize(3) != 1 ||
      expand.getType().getRank() != 5)
    return value;
  DimList dims = getDims(grouped);
  dims.erase(dims.begin() + 3);
  Type kvType = buildTensorType(dims, grouped.getElementType());
  Value kv = split.getInput();
  if (kv.getType() == kvType)
    return kv;
  return ReshapeOp::create(rewriter, split.getLoc(), kvType, kv);
}

/// A square constant mask (possibly [1, 1, n, n]) whose element (i, j)
/// satisfies `masked(value)` exactly when j > i.
bool isCausalConstant(Value mask, llvm::function_ref<bool(float)> masked) {
  Value full = skipPrefixSlices(mask);
  auto type = cast<RankedTensorType>(full.getType());
  if (!type.hasStaticShape() || type.getRank() < 2)
    return false;
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  if (rows != cols || type.getNumElements() != rows * cols)
    return false;
  std::optional<std::vector<float>> values = getFloatElements(full);
  if (!values)
    return false;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (masked((*values)[i * cols + j]) != (j > i))
        return false;
  return true;
}

/// Peels the causal mask off the scores; sets `causal` when found.
Value peelCausalMask(Value scores, bool &causal) {
  causal = false;
  if (auto add = scores.getDefiningOp<AddOp>())
    for (auto [x, mask] : {std::pair(add.getLhs(), add.getRhs()),
                           std::pair(add.getRhs(), add.getLhs())})
      if (isCausalConstant(mask, [](float v) { return v < -1e4f; })) {
        causal = true;
        return x;
      }
  if (auto select = scores.getDefiningOp<SelectOp>()) {
    auto compare = select.getCondition().getDefiningOp<CompareOp>();
    std::optional<double> fill = getSplatValue(select.getOnTrue());
    if (compare && compare.getKind() == CompareKind::eq &&
        isSplat(compare.getRhs(), 0.0) && fill && *fill < -1e4 &&
        isCausalConstant(compare.getLhs(), [](float v) { return v == 0.0f; })) {
      causal = true;
      return select.getOnFalse();
    }
  }
  return scores;
}

/// Peels a constant scale off the scores: x * c or x / c.
Value peelScale(Value scores, std::optional<double> &scale) {
  scale.reset();
  if (auto mul = scores.getDefiningOp<MulOp>())
    for (auto [x, c] : {std::pair(mul.getLhs(), mul.getRhs()),
                        std::pair(mul.getRhs(), mul.getLhs())})
      if (std::optional<double> value = getSplatValue(c)) {
        scale = *value;
        return x;
      }
  if (auto div = scores.getDefiningOp<DivOp>())
    if (std::optional<double> value = getSplatValue(div.getRhs());
        value && *value != 0.0) {
      scale = 1.0 / *value;
      return div.getLhs();
    }
  return scores;
}

struct RaiseAttention : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp root,
                                PatternRewriter &rewriter) const override {
    static constexpr int64_t kSwapHeads[] = {0, 2, 1, 3};
    static constexpr int64_t kKeysT[] = {0, 2, 3, 1};
    if (root.getPermutation() != ArrayRef<int64_t>(kSwapHeads))
      return failure();
    auto weighted = root.getInput().getDefiningOp<MatmulOp>();
    if (!weighted)
      return failure();
    auto softmax = weighted.getLhs().getDefiningOp<SoftmaxOp>();
    Value v, q, k;
    if (!softmax || softmax.getAxis() != 3 ||
        !isTransposeOf(weighted.getRhs(), kSwapHeads, v))
      return failure();
    bool causal;
    std::optional<double> scale;
    Value scores = peelScale(peelCausalMask(softmax.getInput(), causal), scale);
    auto product = scores.getDefiningOp<MatmulOp>();
    if (!product || !isTransposeOf(product.getLhs(), kSwapHeads, q) ||
        !isTransposeOf(product.getRhs(), kKeysT, k))
      return failure();
    k = unrepeatKv(k, rewriter);
    v = unrepeatKv(v, rewriter);
    DimList qDims = getDims(cast<RankedTensorType>(q.getType()));
    DimList kDims = getDims(cast<RankedTensorType>(k.getType()));
    DimList vDims = getDims(cast<RankedTensorType>(v.getType()));
    if (kDims[2] != vDims[2] || !qDims[2].isStatic() || !kDims[2].isStatic() ||
        qDims[2].getSize() % kDims[2].getSize() != 0)
      return failure();
    FloatAttr scaleAttr =
        rewriter.getF32FloatAttr(static_cast<float>(scale.value_or(1.0)));
    rewriter.replaceOpWithNewOp<AttentionOp>(
        root, root.getType(), q, k, v, /*past_key=*/Value(),
        /*past_value=*/Value(), causal ? rewriter.getUnitAttr() : UnitAttr(),
        scaleAttr);
    return success();
  }
};

} // namespace

void populateRaiseAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseAttention>(patterns.getContext());
}

} // namespace llmc
