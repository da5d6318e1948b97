//===- Rope.cpp - raise rotary position embeddings ------------------------===//
//
// Interleaved pairs (llama2.c / Meta):
//   re, im = Split(Reshape(x -> [.., h, d/2, 2]), last)  (or the two
//            one-wide Slices of the last axis, as the dynamo exporter writes)
//   out    = Reshape(Concat(re*C - im*S, re*S + im*C as [.., 1]), -> [.., h,
//   d])
// Half rotation (Hugging Face rotate_half):
//   out    = x*C' + Concat(-x[.., d/2:], x[.., :d/2])*S'  (halves by Slice or
//            Split)
// where C and S are the cos/sin tables [positions, d/2] sliced to the
// sequence (C', S': the table concatenated with itself), broadcast as
// [1, sequence, 1, d/2]. Raised to llmc.rope over the constant tables with
// positions 0..sequence-1.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/LlmcOps.h"

using namespace mlir;

namespace llmc {
namespace {

/// A broadcast table: Reshape(Slice(table [P, n], offsets 0) -> [1, s, 1, n])
/// (with `duplicated`, the slice concatenated with itself first). Returns
/// the constant table and the sliced length s.
struct Table {
  Value table;
  Dim length = Dim::unknown();
};

std::optional<Table> matchTable(Value value, bool duplicated) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  if (!reshape || reshape.getType().getRank() != 4)
    return std::nullopt;
  Value sliced = reshape.getInput();
  if (duplicated) {
    auto concat = sliced.getDefiningOp<ConcatOp>();
    if (!concat || concat.getInputs().size() != 2 ||
        concat.getInputs()[0] != concat.getInputs()[1] || concat.getAxis() != 1)
      return std::nullopt;
    sliced = concat.getInputs()[0];
  }
  auto slice = sliced.getDefiningOp<SliceOp>();
  if (!slice || slice.getType().getRank() != 2 ||
      skipPrefixSlices(sliced) == sliced || !isConstant(slice.getInput()) ||
      slice.getType().getDimSize(1) != slice.getInput().getType().getDimSize(1))
    return std::nullopt;
  return Table{slice.getInput(), getDims(slice.getType())[0]};
}

/// Builds llmc.rope of `x` (reshaped to `type` if needed) at positions
/// 0..length-1.
Value createRope(PatternRewriter &rewriter, Location loc, RankedTensorType type,
                 Value x, const Table &cos, const Table &sin, RopeMode mode) {
  if (x.getType() != type)
    x = ReshapeOp::create(rewriter, loc, type, x);
  Value positions = IotaOp::create(
      rewriter, loc, buildTensorType({cos.length}, rewriter.getI64Type()));
  return RopeOp::create(rewriter, loc, x, cos.table, sin.table, positions,
                        mode);
}

/// The four products of the interleaved rotation, checked against one
/// another: out_re = re*C - im*S, out_im = re*S + im*C.
bool matchProduct(Value value, Value &a, Value &b) {
  auto mul = value.getDefiningOp<MulOp>();
  if (!mul)
    return false;
  a = mul.getLhs();
  b = mul.getRhs();
  return true;
}

/// re, im: the even and odd features of x, each [.., h, d/2]; returns the
/// reshape of x into [.., h, d/2, 2] they come from.
ReshapeOp matchPairHalves(Value re, Value im) {
  auto reSqueeze = re.getDefiningOp<ReshapeOp>();
  auto imSqueeze = im.getDefiningOp<ReshapeOp>();
  if (!reSqueeze || !imSqueeze)
    return ReshapeOp();
  Value reHalf = reSqueeze.getInput(), imHalf = imSqueeze.getInput();
  if (auto split = reHalf.getDefiningOp<SplitOp>()) {
    if (split.getOutputs().size() != 2 || split.getAxis() != 4 ||
        reHalf != split.getOutputs()[0] || imHalf != split.getOutputs()[1])
      return ReshapeOp();
    return split.getInput().getDefiningOp<ReshapeOp>();
  }
  auto reSlice = reHalf.getDefiningOp<SliceOp>();
  auto imSlice = imHalf.getDefiningOp<SliceOp>();
  if (!reSlice || !imSlice || reSlice.getInput() != imSlice.getInput() ||
      reSlice.getType() != imSlice.getType() ||
      reSlice.getInput().getType().getRank() != 5 ||
      reSlice.getInput().getType().getDimSize(4) != 2 ||
      reSlice.getType().getDimSize(4) != 1)
    return ReshapeOp();
  auto offsetsAre = [](SliceOp slice, int64_t last) {
    ArrayRef<int64_t> offsets = slice.getOffsets();
    return offsets.back() == last &&
           llvm::all_of(offsets.drop_back(), [](int64_t o) { return o == 0; });
  };
  if (!offsetsAre(reSlice, 0) || !offsetsAre(imSlice, 1))
    return ReshapeOp();
  return reSlice.getInput().getDefiningOp<ReshapeOp>();
}

struct RaiseInterleavedRope : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp root,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = root.getType();
    auto concat = root.getInput().getDefiningOp<ConcatOp>();
    if (type.getRank() != 4 || !concat || concat.getInputs().size() != 2 ||
        concat.getAxis() != 4)
      return failure();
    auto reOut = concat.getInputs()[0].getDefiningOp<ReshapeOp>();
    auto imOut = concat.getInputs()[1].getDefiningOp<ReshapeOp>();
    if (!reOut || !imOut)
      return failure();
    auto sub = reOut.getInput().getDefiningOp<SubOp>();
    auto add = imOut.getInput().getDefiningOp<AddOp>();
    if (!sub || !add)
      return failure();
    // re*C - im*S: the first product names re and C (either order).
    Value p0, p1, q0, q1;
    if (!matchProduct(sub.getLhs(), p0, p1) ||
        !matchProduct(sub.getRhs(), q0, q1))
      return failure();
    for (auto [re, cosValue] : {std::pair(p0, p1), std::pair(p1, p0)}) {
      for (auto [im, sinValue] : {std::pair(q0, q1), std::pair(q1, q0)}) {
        // re and im are the halves of x reshaped into pairs.
        auto pairs = matchPairHalves(re, im);
        std::optional<Table> cos = matchTable(cosValue, false);
        std::optional<Table> sin = matchTable(sinValue, false);
        if (!pairs || !cos || !sin || cos->length != sin->length)
          continue;
        // out_im = re*S + im*C.
        Value a0, a1, b0, b1;
        if (!matchProduct(add.getLhs(), a0, a1) ||
            !matchProduct(add.getRhs(), b0, b1))
          continue;
        auto hasProduct = [&](Value x, Value y) {
          return (a0 == x && a1 == y) || (a0 == y && a1 == x) ||
                 (b0 == x && b1 == y) || (b0 == y && b1 == x);
        };
        if (!hasProduct(re, sinValue) || !hasProduct(im, cosValue))
          continue;
        rewriter.replaceOp(root, createRope(rewriter, root.getLoc(), type,
                                            pairs.getInput(), *cos, *sin,
                                            RopeMode::interleaved));
        return success();
      }
    }
    return failure();
  }
};

/// Concat(-x[.., d/2:], x[.., :d/2]) along the last axis, the halves as
/// two Slices or one Split; returns x.
Value matchRotateHalf(Value value) {
  auto concat = value.getDefiningOp<ConcatOp>();
  if (!concat || concat.getInputs().size() != 2)
    return Value();
  auto neg = concat.getInputs()[0].getDefiningOp<NegOp>();
  if (auto split = neg ? neg.getInput().getDefiningOp<SplitOp>() : SplitOp()) {
    RankedTensorType type = split.getInput().getType();
    int64_t last = type.getRank() - 1;
    bool halves =
        split.getNumResults() == 2 && split.getAxis() == last &&
        concat.getAxis() == last && !type.isDynamicDim(last) &&
        type.getDimSize(last) % 2 == 0 &&
        split.getOutputs()[0].getType() == split.getOutputs()[1].getType();
    if (halves && neg.getInput() == split.getOutputs()[1] &&
        concat.getInputs()[1] == split.getOutputs()[0])
      return split.getInput();
    return Value();
  }
  auto upper = neg ? neg.getInput().getDefiningOp<SliceOp>() : SliceOp();
  auto lower = concat.getInputs()[1].getDefiningOp<SliceOp>();
  if (!upper || !lower || upper.getInput() != lower.getInput())
    return Value();
  RankedTensorType type = upper.getInput().getType();
  int64_t last = type.getRank() - 1;
  if (concat.getAxis() != last || type.isDynamicDim(last))
    return Value();
  int64_t half = type.getDimSize(last) / 2;
  auto isHalf = [&](SliceOp slice, int64_t offset) {
    ArrayRef<int64_t> offsets = slice.getOffsets();
    return slice.getType().getDimSize(last) == half &&
           offsets[last] == offset &&
           llvm::all_of(offsets.drop_back(),
                        [](int64_t o) { return o == 0; }) &&
           llvm::all_of(slice.getStrides(), [](int64_t s) { return s == 1; });
  };
  if (!isHalf(upper, half) || !isHalf(lower, 0))
    return Value();
  return upper.getInput();
}

struct RaiseHalfRope : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp root,
                                PatternRewriter &rewriter) const override {
    if (root.getType().getRank() != 4)
      return failure();
    for (auto [direct, rotated] : {std::pair(root.getLhs(), root.getRhs()),
                                   std::pair(root.getRhs(), root.getLhs())}) {
      Value d0, d1, r0, r1;
      if (!matchProduct(direct, d0, d1) || !matchProduct(rotated, r0, r1))
        continue;
      for (auto [x, cosValue] : {std::pair(d0, d1), std::pair(d1, d0)}) {
        for (auto [rot, sinValue] : {std::pair(r0, r1), std::pair(r1, r0)}) {
          std::optional<Table> cos = matchTable(cosValue, true);
          std::optional<Table> sin = matchTable(sinValue, true);
          if (!cos || !sin || cos->length != sin->length ||
              matchRotateHalf(rot) != x || x.getType() != root.getType())
            continue;
          rewriter.replaceOp(root,
                             createRope(rewriter, root.getLoc(), root.getType(),
                                        x, *cos, *sin, RopeMode::half));
          return success();
        }
      }
    }
    return failure();
  }
};

} // namespace

void populateRaiseRopePatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseInterleavedRope, RaiseHalfRope>(patterns.getContext());
}

} // namespace llmc
