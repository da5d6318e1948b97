//===- Attention.cpp - raise scaled dot-product attention -----------------===//
//
// What exporters write for attention, with q, k, v either [batch, sequence,
// heads, head_dim] behind Transposes or already [batch, heads, sequence,
// head_dim] (Hugging Face):
//   scores = q @ k^T                 (* c or / c, or q * c1 @ k^T * c2)
//   scores = tanh(scores / s) * s    (optional: Gemma 2's soft-cap)
//   scores = scores + mask           (additive: 0 attends, <= -1e4 masks)
//          | Where(attend, scores, -inf) | Where(masked, -inf, scores)
//   probs  = Softmax(scores, -1)     (then Where(IsNaN(probs), 0, probs))
//   out    = Transpose(probs @ v, 0213)
// with grouped-query k/v repeated by Reshape/Expand/Reshape. Whatever
// computes the mask (a sliced constant, Trilu, or comparisons of Range
// positions), it is run by the SliceEvaluator on sample extents and must
// be causal -- key j visible to query i exactly when j <= i + (keys -
// queries) -- before `causal` is set. The repeat is dropped because
// llmc.attention reads kv heads directly.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/AttentionMask.h"
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

/// kv as the attention op reads it: the grouped-query repeat undone, in
/// the layout it has (heads at `headAxis`: 2 in [b,s,h,d], 1 in [b,h,s,d]).
/// The repeat is Reshape(Expand(Reshape(kv, a 1 inserted after the heads),
/// the 1 repeated r times), heads * r); kv may need a reshape to its
/// grouped shape when the exporter started from another one.
struct KvSource {
  Value value;
  RankedTensorType type;

  Value materialize(PatternRewriter &rewriter, Location loc) const {
    if (value.getType() == type)
      return value;
    return ReshapeOp::create(rewriter, loc, type, value);
  }
};

KvSource unrepeatKv(Value value, int64_t headAxis) {
  KvSource same{value, cast<RankedTensorType>(value.getType())};
  auto merge = value.getDefiningOp<ReshapeOp>();
  auto expand = merge ? merge.getInput().getDefiningOp<ExpandOp>() : ExpandOp();
  auto split =
      expand ? expand.getInput().getDefiningOp<ReshapeOp>() : ReshapeOp();
  if (!split)
    return same;
  RankedTensorType grouped = split.getType();
  if (grouped.getRank() != 5 || grouped.getDimSize(headAxis + 1) != 1 ||
      expand.getType().getRank() != 5)
    return same;
  DimList dims = getDims(grouped);
  dims.erase(dims.begin() + headAxis + 1);
  return {split.getInput(), buildTensorType(dims, grouped.getElementType())};
}

/// Peels constant scales off the scores: x * c or x / c, as many as there
/// are (Gemma 2 scales, then divides by its soft-cap); their product.
Value peelScale(Value scores, std::optional<double> &scale) {
  scale.reset();
  auto peelOne = [&](Value value, double &factor) -> Value {
    if (auto mul = value.getDefiningOp<MulOp>())
      for (auto [x, c] : {std::pair(mul.getLhs(), mul.getRhs()),
                          std::pair(mul.getRhs(), mul.getLhs())})
        if (std::optional<double> constant = getSplatValue(c)) {
          factor = *constant;
          return x;
        }
    if (auto div = value.getDefiningOp<DivOp>())
      if (std::optional<double> constant = getSplatValue(div.getRhs());
          constant && *constant != 0.0) {
        factor = 1.0 / *constant;
        return div.getLhs();
      }
    return Value();
  };
  double factor = 1.0;
  while (Value inner = peelOne(scores, factor)) {
    scale = scale.value_or(1.0) * factor;
    scores = inner;
  }
  return scores;
}

/// Peels the soft-cap c * tanh(s / c) off the scores: returns the Tanh's
/// input (which still divides by c) and sets `cap`.
Value peelSoftcap(Value scores, std::optional<double> &cap) {
  cap.reset();
  auto mul = scores.getDefiningOp<MulOp>();
  if (!mul)
    return scores;
  for (auto [t, c] : {std::pair(mul.getLhs(), mul.getRhs()),
                      std::pair(mul.getRhs(), mul.getLhs())}) {
    auto tanh = t.getDefiningOp<TanhOp>();
    std::optional<double> constant = getSplatValue(c);
    if (tanh && constant && *constant > 0.0) {
      cap = *constant;
      return tanh.getInput();
    }
  }
  return scores;
}

/// Looks through Where(IsNaN(p), 0, p): the guard PyTorch's attention
/// decomposition puts after the softmax for rows with no visible key, which
/// causal attention never has.
Value skipNanGuard(Value probs) {
  auto select = probs.getDefiningOp<SelectOp>();
  if (!select || !isSplat(select.getOnTrue(), 0.0))
    return probs;
  auto isNan = select.getCondition().getDefiningOp<IsNanOp>();
  if (!isNan || isNan.getInput() != select.getOnFalse())
    return probs;
  return select.getOnFalse();
}

/// Peels x * c off a q or k^T operand of the scores product.
Value peelOperandScale(Value value, double &scale) {
  if (auto mul = value.getDefiningOp<MulOp>())
    for (auto [x, c] : {std::pair(mul.getLhs(), mul.getRhs()),
                        std::pair(mul.getRhs(), mul.getLhs())})
      if (std::optional<double> factor = getSplatValue(c)) {
        scale *= *factor;
        return x;
      }
  return value;
}

/// Concat(past, new) along the sequence axis of kv (1 in [b,s,h,d], 2 in
/// [b,h,s,d]): `source` becomes the new part and the past is returned; null
/// (and `source` unchanged) otherwise.
Value splitPast(KvSource &source, bool headsMajor) {
  auto concat = source.value.getDefiningOp<ConcatOp>();
  if (!concat || source.value.getType() != source.type ||
      concat.getInputs().size() != 2 ||
      concat.getAxis() != (headsMajor ? 2 : 1))
    return Value();
  Value added = concat.getInputs()[1];
  source = {added, cast<RankedTensorType>(added.getType())};
  return concat.getInputs()[0];
}

/// [b, h, s, d] dimensions as [b, s, h, d].
DimList swapHeads(DimList dims) {
  std::swap(dims[1], dims[2]);
  return dims;
}

/// `value` ([b, h, s, d]) as [b, s, h, d]: the input of its Transpose when it
/// is one, else a new Transpose (which folds with later ones).
Value toSequenceMajor(Value value, PatternRewriter &rewriter, Location loc) {
  static constexpr int64_t kSwapHeads[] = {0, 2, 1, 3};
  Value input;
  if (isTransposeOf(value, kSwapHeads, input))
    return input;
  return TransposeOp::create(rewriter, loc, value, kSwapHeads);
}

struct RaiseAttention : OpRewritePattern<TransposeOp> {
  RaiseAttention(MLIRContext *context, int64_t maxPositions)
      : OpRewritePattern(context), maxPositions(maxPositions) {}

  LogicalResult matchAndRewrite(TransposeOp root,
                                PatternRewriter &rewriter) const override {
    static constexpr int64_t kSwapHeads[] = {0, 2, 1, 3};
    static constexpr int64_t kKeysT[] = {0, 2, 3, 1};
    static constexpr int64_t kSwapLast[] = {0, 1, 3, 2};
    if (root.getPermutation() != ArrayRef<int64_t>(kSwapHeads))
      return rewriter.notifyMatchFailure(
          root, "attention: not a transpose of heads and sequence");
    auto weighted = root.getInput().getDefiningOp<MatmulOp>();
    if (!weighted)
      return rewriter.notifyMatchFailure(
          root, "attention: the transposed value is not a matmul");
    auto softmax = skipNanGuard(weighted.getLhs()).getDefiningOp<SoftmaxOp>();
    Value vHeads = weighted.getRhs();
    if (!softmax || softmax.getAxis() != 3 ||
        cast<RankedTensorType>(vHeads.getType()).getRank() != 4)
      return rewriter.notifyMatchFailure(root, "not softmax(scores) @ v");
    // From here on this is an attention: say why it is not raised.
    auto refuse = [&](const Twine &why) {
      return recordUnraised(rewriter, softmax,
                            "attention not recognised: " + why);
    };
    MaskStructure mask;
    std::string why;
    FailureOr<Value> unmasked =
        peelMask(softmax.getInput(), maxPositions, mask, why);
    if (failed(unmasked))
      return refuse(why);
    std::optional<double> softcap, scale;
    Value scores = peelScale(peelSoftcap(*unmasked, softcap), scale);
    auto product = scores.getDefiningOp<MatmulOp>();
    if (!product)
      return refuse("the scores are not a product of queries and keys");
    // Under a soft-cap c the scores carry scale / c.
    double factor = scale.value_or(1.0) * softcap.value_or(1.0);
    bool scaled = scale.has_value() || softcap.has_value();
    Value qHeads = peelOperandScale(product.getLhs(), factor);
    Value kT = peelOperandScale(product.getRhs(), factor);
    scaled |= qHeads != product.getLhs() || kT != product.getRhs();
    // k^T: Transpose(k as [b,s,h,d], 0231) or Transpose(k as [b,h,s,d],
    // 0132); v: Transpose(v as [b,s,h,d], 0213) or v as [b,h,s,d].
    Value kIn, vIn;
    bool kHeadsMajor = false, vHeadsMajor = false;
    if (!isTransposeOf(kT, kKeysT, kIn)) {
      if (!isTransposeOf(kT, kSwapLast, kIn))
        return refuse("the keys are not transposed for the scores");
      kHeadsMajor = true;
    }
    if (!isTransposeOf(vHeads, kSwapHeads, vIn)) {
      vIn = vHeads;
      vHeadsMajor = true;
    }
    KvSource kSource = unrepeatKv(kIn, kHeadsMajor ? 1 : 2);
    KvSource vSource = unrepeatKv(vIn, vHeadsMajor ? 1 : 2);
    DimList qDims =
        swapHeads(getDims(cast<RankedTensorType>(qHeads.getType())));
    DimList kDims = getDims(kSource.type), vDims = getDims(vSource.type);
    if (kHeadsMajor)
      kDims = swapHeads(kDims);
    if (vHeadsMajor)
      vDims = swapHeads(vDims);
    if (qDims.size() != 4 || kDims[2] != vDims[2] || !qDims[2].isStatic() ||
        !kDims[2].isStatic())
      return refuse("the query, key or value heads are not known");
    if (qDims[2].getSize() % kDims[2].getSize() != 0)
      return refuse(Twine(qDims[2].getSize()) + " query heads do not group " +
                    "onto " + Twine(kDims[2].getSize()) + " key heads");
    // A KV cache input: keys and values are Concat(past, new) along the
    // sequence (optimum's past_key_values), both or neither.
    Value pastKey = splitPast(kSource, kHeadsMajor);
    Value pastValue = splitPast(vSource, vHeadsMajor);
    if (static_cast<bool>(pastKey) != static_cast<bool>(pastValue))
      return refuse("only one of keys and values has a past");
    // Matched: from here on, build.
    Location loc = root.getLoc();
    Value q = toSequenceMajor(qHeads, rewriter, loc);
    Value k = kSource.materialize(rewriter, loc);
    Value v = vSource.materialize(rewriter, loc);
    if (kHeadsMajor) {
      k = toSequenceMajor(k, rewriter, loc);
      if (pastKey)
        pastKey = toSequenceMajor(pastKey, rewriter, loc);
    }
    if (vHeadsMajor) {
      v = toSequenceMajor(v, rewriter, loc);
      if (pastValue)
        pastValue = toSequenceMajor(pastValue, rewriter, loc);
    }
    FloatAttr scaleAttr =
        rewriter.getF32FloatAttr(static_cast<float>(scaled ? factor : 1.0));
    // The op's own type may name more than the exporter's graph did; a
    // reshape keeps the old type for its users until fold-shapes refines it.
    Value attention = AttentionOp::create(
        rewriter, loc, q, k, v, pastKey, pastValue, mask.keyMask,
        mask.causal ? rewriter.getUnitAttr() : UnitAttr(),
        mask.window ? rewriter.getI64IntegerAttr(mask.window) : IntegerAttr(),
        scaleAttr,
        softcap ? rewriter.getF32FloatAttr(static_cast<float>(*softcap))
                : FloatAttr());
    if (attention.getType() != root.getType())
      attention = ReshapeOp::create(rewriter, loc, root.getType(), attention);
    rewriter.replaceOp(root, attention);
    return success();
  }

  int64_t maxPositions;
};

} // namespace

void populateRaiseAttentionPatterns(RewritePatternSet &patterns,
                                    int64_t maxPositions) {
  patterns.add<RaiseAttention>(patterns.getContext(), maxPositions);
}

} // namespace llmc
