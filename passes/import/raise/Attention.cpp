//===- Attention.cpp - raise scaled dot-product attention -----------------===//
//
// What exporters write for attention, with q, k, v either [batch, sequence,
// heads, head_dim] behind Transposes or already [batch, heads, sequence,
// head_dim] (Hugging Face):
//   scores = q @ k^T                 (* c or / c, or q * c1 @ k^T * c2)
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

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/import/SliceEvaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

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

/// How a mask value says "attend".
enum class MaskForm { Attend, Masked, Additive };

bool attends(double value, MaskForm form) {
  switch (form) {
  case MaskForm::Attend:
    return value != 0;
  case MaskForm::Masked:
    return value == 0;
  case MaskForm::Additive:
    return value == 0;
  }
  return false;
}

bool isMaskValue(double value, MaskForm form) {
  return form != MaskForm::Additive || value == 0 || value <= -1e4;
}

/// What a computed mask was found to be.
struct CausalMask {
  /// The attention_mask input when the mask also hides its zeros.
  Value keyMask;
};

/// Runs the computation of `mask` for sample extents of the function's
/// symbolic dimensions (positions past.., attention_mask all ones) and
/// checks that it is causal over its last two axes for every leading index:
/// key j visible to query i exactly when j <= i + (keys - queries). When
/// the mask reads the attention_mask input, a second run with one padded
/// key per batch row must hide exactly that key too; the input then becomes
/// the attention's key_mask.
std::optional<CausalMask> matchComputedCausalMask(Value mask, MaskForm form) {
  auto function = mask.getParentRegion()->getParentOfType<func::FuncOp>();
  if (!function)
    return std::nullopt;
  SmallVector<StringAttr> names = argumentDimNames(function);
  BlockArgument attentionMask = namedArgument(function, "attention_mask");
  BlockArgument positionIds = namedArgument(function, "position_ids");
  CausalMask found;
  // Two samples with different extents, so that no coincidence passes,
  // each run without and with padding.
  for (int64_t sample = 0; sample < 2; ++sample) {
    for (bool padded : {false, true}) {
      if (padded && !attentionMask)
        continue;
      llvm::StringMap<int64_t> extents;
      for (auto [i, name] : llvm::enumerate(names))
        extents[name.getValue()] = sample == 0 ? 2 + i : 7 - i % 4;
      SliceEvaluator evaluator(std::move(extents));
      std::optional<int64_t> totalKeys;
      FailureOr<SmallVector<int64_t>> maskShape =
          attentionMask ? evaluator.extentsOf(attentionMask.getType())
                        : FailureOr<SmallVector<int64_t>>(failure());
      if (succeeded(maskShape) && maskShape->size() == 2) {
        // Padded: the first key of every batch row but the last hidden.
        EvalTensor keys{*maskShape, {}};
        for (int64_t b = 0; b < (*maskShape)[0]; ++b)
          for (int64_t j = 0; j < (*maskShape)[1]; ++j)
            keys.data.push_back(
                padded && j == 0 && b + 1 < (*maskShape)[0] ? 0.0 : 1.0);
        evaluator.bind(attentionMask, keys);
        totalKeys = (*maskShape)[1];
      }
      FailureOr<SmallVector<int64_t>> positionShape =
          positionIds ? evaluator.extentsOf(positionIds.getType())
                      : FailureOr<SmallVector<int64_t>>(failure());
      if (succeeded(positionShape) && positionShape->size() == 2) {
        int64_t past = totalKeys ? *totalKeys - (*positionShape)[1] : 0;
        EvalTensor positions{*positionShape, {}};
        for (int64_t b = 0; b < (*positionShape)[0]; ++b)
          for (int64_t j = 0; j < (*positionShape)[1]; ++j)
            positions.data.push_back(double(past + j));
        evaluator.bind(positionIds, positions);
      }
      FailureOr<const EvalTensor *> result = evaluator.evaluate(mask);
      if (failed(result))
        return std::nullopt;
      const EvalTensor &m = **result;
      int64_t rank = m.shape.size();
      if (rank < 2)
        return std::nullopt;
      int64_t queries = m.shape[rank - 2], keys = m.shape[rank - 1];
      int64_t past = keys - queries;
      if (past < 0 || queries < 2)
        return std::nullopt;
      // The batch row of element n, when the mask has a batch axis.
      int64_t rows =
          rank == 4 && succeeded(maskShape) && m.shape[0] == (*maskShape)[0]
              ? m.shape[0]
              : 1;
      int64_t perRow = m.numElements() / rows;
      bool readsPadding = false;
      for (int64_t n = 0; n < m.numElements(); ++n) {
        int64_t j = n % keys, i = (n / keys) % queries, b = n / perRow;
        bool hidden = padded && j == 0 && b + 1 < rows;
        double value = m.data[n];
        if (!isMaskValue(value, form))
          return std::nullopt;
        bool visible = j <= i + past;
        if (attends(value, form) == visible)
          continue;
        // Only the padded key may differ, and only by being hidden.
        if (!(hidden && visible))
          return std::nullopt;
        readsPadding = true;
      }
      if (padded && readsPadding)
        found.keyMask = attentionMask;
      if (padded && !readsPadding && found.keyMask)
        return std::nullopt;
    }
  }
  return found;
}

/// Peels the causal mask off the scores; sets `causal` when found, and
/// `keyMask` when it also hides padded keys.
Value peelCausalMask(Value scores, bool &causal, Value &keyMask) {
  causal = false;
  keyMask = Value();
  auto accept = [&](std::optional<CausalMask> found) {
    if (!found)
      return false;
    causal = true;
    keyMask = found->keyMask;
    return true;
  };
  if (auto add = scores.getDefiningOp<AddOp>())
    for (auto [x, mask] : {std::pair(add.getLhs(), add.getRhs()),
                           std::pair(add.getRhs(), add.getLhs())})
      if (isCausalConstant(mask, [](float v) { return v < -1e4f; })) {
        causal = true;
        return x;
      } else if (accept(matchComputedCausalMask(mask, MaskForm::Additive))) {
        return x;
      }
  if (auto select = scores.getDefiningOp<SelectOp>()) {
    auto isFill = [](Value v) {
      std::optional<double> fill = getSplatValue(v);
      return fill && *fill <= -1e4;
    };
    // The constant form nanoGPT exports: Where(mask[:s, :s] == 0, -inf, x).
    auto compare = select.getCondition().getDefiningOp<CompareOp>();
    if (compare && compare.getKind() == CompareKind::eq &&
        isSplat(compare.getRhs(), 0.0) && isFill(select.getOnTrue()) &&
        isCausalConstant(compare.getLhs(), [](float v) { return v == 0.0f; })) {
      causal = true;
      return select.getOnFalse();
    }
    if (isFill(select.getOnTrue()) &&
        accept(
            matchComputedCausalMask(select.getCondition(), MaskForm::Masked)))
      return select.getOnFalse();
    if (isFill(select.getOnFalse()) &&
        accept(
            matchComputedCausalMask(select.getCondition(), MaskForm::Attend)))
      return select.getOnTrue();
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
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp root,
                                PatternRewriter &rewriter) const override {
    static constexpr int64_t kSwapHeads[] = {0, 2, 1, 3};
    static constexpr int64_t kKeysT[] = {0, 2, 3, 1};
    static constexpr int64_t kSwapLast[] = {0, 1, 3, 2};
    if (root.getPermutation() != ArrayRef<int64_t>(kSwapHeads))
      return failure();
    auto weighted = root.getInput().getDefiningOp<MatmulOp>();
    if (!weighted)
      return failure();
    auto softmax = skipNanGuard(weighted.getLhs()).getDefiningOp<SoftmaxOp>();
    Value vHeads = weighted.getRhs();
    if (!softmax || softmax.getAxis() != 3 ||
        cast<RankedTensorType>(vHeads.getType()).getRank() != 4)
      return failure();
    bool causal;
    Value keyMask;
    std::optional<double> scale;
    Value scores =
        peelScale(peelCausalMask(softmax.getInput(), causal, keyMask), scale);
    auto product = scores.getDefiningOp<MatmulOp>();
    if (!product)
      return failure();
    double factor = scale.value_or(1.0);
    bool scaled = scale.has_value();
    Value qHeads = peelOperandScale(product.getLhs(), factor);
    Value kT = peelOperandScale(product.getRhs(), factor);
    scaled |= qHeads != product.getLhs() || kT != product.getRhs();
    // k^T: Transpose(k as [b,s,h,d], 0231) or Transpose(k as [b,h,s,d],
    // 0132); v: Transpose(v as [b,s,h,d], 0213) or v as [b,h,s,d].
    Value kIn, vIn;
    bool kHeadsMajor = false, vHeadsMajor = false;
    if (!isTransposeOf(kT, kKeysT, kIn)) {
      if (!isTransposeOf(kT, kSwapLast, kIn))
        return failure();
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
        !kDims[2].isStatic() || qDims[2].getSize() % kDims[2].getSize() != 0)
      return failure();
    // A KV cache input: keys and values are Concat(past, new) along the
    // sequence (optimum's past_key_values), both or neither.
    Value pastKey = splitPast(kSource, kHeadsMajor);
    Value pastValue = splitPast(vSource, vHeadsMajor);
    if (static_cast<bool>(pastKey) != static_cast<bool>(pastValue))
      return failure();
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
        rewriter, loc, q, k, v, pastKey, pastValue, keyMask,
        causal ? rewriter.getUnitAttr() : UnitAttr(), scaleAttr);
    if (attention.getType() != root.getType())
      attention = ReshapeOp::create(rewriter, loc, root.getType(), attention);
    rewriter.replaceOp(root, attention);
    return success();
  }
};

} // namespace

void populateRaiseAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseAttention>(patterns.getContext());
}

} // namespace llmc
