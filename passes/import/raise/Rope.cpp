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
// Hugging Face computes C' and S' at run time instead: cos/sin of the
// inverse frequencies times the positions (Range over the sequence, past +
// Range when there is a cache and no position_ids input, or the
// position_ids input), often with x in [b, h, s, d]. Whatever that
// computation is, the SliceEvaluator runs it for positions 0..P-1, and the
// half-rotation tables it yields become constants (P: the pass option
// max-positions); the op reads them at the graph's positions.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/Matchers.h"
#include "passes/import/raise/RaisePatterns.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/analysis/SliceEvaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"

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
      return rewriter.notifyMatchFailure(
          root, "interleaved RoPE: not a 4-D reshape of two halves "
                "concatenated on a pair axis");
    auto reOut = concat.getInputs()[0].getDefiningOp<ReshapeOp>();
    auto imOut = concat.getInputs()[1].getDefiningOp<ReshapeOp>();
    auto sub = reOut ? reOut.getInput().getDefiningOp<SubOp>() : SubOp();
    auto add = imOut ? imOut.getInput().getDefiningOp<AddOp>() : AddOp();
    if (!sub || !add)
      return rewriter.notifyMatchFailure(
          root, "interleaved RoPE: the halves are not reshapes of "
                "re*C - im*S and re*S + im*C");
    // re*C - im*S: the first product names re and C (either order).
    Value p0, p1, q0, q1;
    if (!matchProduct(sub.getLhs(), p0, p1) ||
        !matchProduct(sub.getRhs(), q0, q1))
      return rewriter.notifyMatchFailure(
          root, "interleaved RoPE: the real half is not a difference of "
                "products");
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
    return rewriter.notifyMatchFailure(
        root, "interleaved RoPE: the products are not pairs of x with "
              "cos/sin tables");
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

/// iota + past, with past read from shapes: the positions after a cache
/// (fold-shapes' form of Range(past, past + sequence)).
bool isOffsetIota(AddOp add) {
  for (auto [iota, offset] : {std::pair(add.getLhs(), add.getRhs()),
                              std::pair(add.getRhs(), add.getLhs())})
    if (iota.getDefiningOp<IotaOp>() &&
        cast<RankedTensorType>(offset.getType()).getNumElements() == 1 &&
        readsOnly(offset))
      return add.getType() == iota.getType();
  return false;
}

/// cos or sin tables the graph computes from positions: the position
/// source (an iota over a sequence dimension, an iota offset by a past
/// length, or the position_ids input) and the table the computation
/// yields, [positions, d/2] (rows 0.., whatever the offset).
struct ComputedTable {
  Value positions;
  /// Which axis of the broadcast value is the sequence (1: x is [b, s, h,
  /// d]; 2: [b, h, s, d]).
  int64_t sequenceAxis = 0;
  std::vector<float> table;
};

std::optional<ComputedTable> computeTable(Value value, int64_t positions,
                                          int64_t headDim, std::string &why) {
  auto function = value.getParentRegion()->getParentOfType<func::FuncOp>();
  if (!function || headDim % 2 != 0) {
    why = "head_dim " + std::to_string(headDim) + " is odd";
    return std::nullopt;
  }
  // The leaves of the computation: constants, and one position source.
  Value source;
  SmallVector<Value> worklist{value};
  llvm::SmallPtrSet<Operation *, 32> seen;
  while (!worklist.empty()) {
    Value next = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(next)) {
      if (arg != namedArgument(function, "position_ids") ||
          (source && source != next)) {
        why = "the angles read an input other than position_ids";
        return std::nullopt;
      }
      source = next;
      continue;
    }
    Operation *op = next.getDefiningOp();
    if (!seen.insert(op).second)
      continue;
    if (isa<IotaOp>(op) || (isa<AddOp>(op) && isOffsetIota(cast<AddOp>(op)))) {
      if (source && source != op->getResult(0)) {
        why = "the angles read two position sources";
        return std::nullopt;
      }
      source = op->getResult(0);
      continue;
    }
    if (isa<ShapeOfOp>(op))
      continue;
    llvm::append_range(worklist, op->getOperands());
  }
  if (!source) {
    why = "the angles read no positions (an iota over the sequence, past + "
          "iota, or position_ids)";
    return std::nullopt;
  }
  auto sourceType = cast<RankedTensorType>(source.getType());
  Dim sequence = getDims(sourceType).back();
  if (!sequence.isNamed()) {
    why = "the positions' extent has no name";
    return std::nullopt;
  }
  // Every other symbolic extent 1, the sequence `positions` long.
  llvm::StringMap<int64_t> extents;
  for (StringAttr name : argumentDimNames(function))
    extents[name.getValue()] = 1;
  extents[sequence.getName().getValue()] = positions;
  SliceEvaluator evaluator(std::move(extents));
  if (isa<BlockArgument>(source)) {
    if (sourceType.getRank() != 2) {
      why = "position_ids is not [batch, sequence]";
      return std::nullopt;
    }
    EvalTensor ids{{1, positions}, {}};
    for (int64_t p = 0; p < positions; ++p)
      ids.data.push_back(double(p));
    evaluator.bind(source, ids);
  } else if (source.getDefiningOp<AddOp>()) {
    EvalTensor ids{{positions}, {}};
    for (int64_t p = 0; p < positions; ++p)
      ids.data.push_back(double(p));
    evaluator.bind(source, ids);
  }
  FailureOr<const EvalTensor *> result = evaluator.evaluate(value);
  if (failed(result)) {
    why = "the angles could not be computed for " + std::to_string(positions) +
          " positions";
    return std::nullopt;
  }
  const EvalTensor &t = **result;
  ComputedTable computed;
  auto shapeText = [&] {
    std::string text;
    for (int64_t e : t.shape)
      text += (text.empty() ? "" : "x") + std::to_string(e);
    return text;
  };
  if (t.shape.size() != 4 || t.shape[0] != 1 || t.shape[3] != headDim) {
    why = "the computed table is " + shapeText() + ", not [1, positions, 1, " +
          std::to_string(headDim) + "] or [1, 1, positions, " +
          std::to_string(headDim) + "]";
    return std::nullopt;
  }
  if (t.shape[1] == positions && t.shape[2] == 1)
    computed.sequenceAxis = 1;
  else if (t.shape[2] == positions && t.shape[1] == 1)
    computed.sequenceAxis = 2;
  else {
    why = "the computed table is " + shapeText() + ", not one row per position";
    return std::nullopt;
  }
  // Half rotation: each row is its first half twice.
  int64_t half = headDim / 2;
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double a = t.data[p * headDim + i], b = t.data[p * headDim + half + i];
      if (a != b) {
        why = "the table's halves differ at position " + std::to_string(p) +
              " (not a rotate-half table)";
        return std::nullopt;
      }
      computed.table.push_back(static_cast<float>(a));
    }
  computed.positions = source;
  return computed;
}

/// A [positions, d/2] table constant, held in a resource blob at the start
/// of the function; every layer computes the same angles, so an identical
/// table made earlier is reused.
Value createTable(PatternRewriter &rewriter, Location loc, StringRef name,
                  ArrayRef<float> data, int64_t half, Type elementType,
                  Block &entry) {
  auto f32Type = RankedTensorType::get(
      {static_cast<int64_t>(data.size()) / half, half}, rewriter.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(data.data()),
                       data.size() * sizeof(float));
  Value table;
  for (auto constant : entry.getOps<ConstantOp>()) {
    std::optional<ArrayRef<char>> existing =
        getRawConstantData(constant.getValue());
    if (constant.getType() == f32Type &&
        isa<DenseResourceElementsAttr>(constant.getValue()) && existing &&
        *existing == bytes) {
      table = constant;
      break;
    }
  }
  if (!table) {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&entry);
    table = ConstantOp::create(rewriter, loc,
                               makeResourceAttr(f32Type, name, bytes));
  }
  if (elementType == f32Type.getElementType())
    return table;
  return CastOp::create(rewriter, loc,
                        RankedTensorType::get(f32Type.getShape(), elementType),
                        table);
}

/// x*C' + rotate_half(x)*S', with C' and S' sliced from constant tables or
/// computed from positions (then evaluated into tables of `positions` rows).
struct RaiseHalfRope : OpRewritePattern<AddOp> {
  RaiseHalfRope(MLIRContext *context, int64_t positions)
      : OpRewritePattern(context), positions(positions) {}

  LogicalResult matchAndRewrite(AddOp root,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = root.getType();
    if (type.getRank() != 4)
      return rewriter.notifyMatchFailure(root, "half RoPE: not 4-D");
    for (auto [direct, rotated] : {std::pair(root.getLhs(), root.getRhs()),
                                   std::pair(root.getRhs(), root.getLhs())}) {
      Value d0, d1, r0, r1;
      if (!matchProduct(direct, d0, d1) || !matchProduct(rotated, r0, r1))
        continue;
      for (auto [x, cosValue] : {std::pair(d0, d1), std::pair(d1, d0)}) {
        for (auto [rot, sinValue] : {std::pair(r0, r1), std::pair(r1, r0)}) {
          if (matchRotateHalf(rot) != x || x.getType() != type)
            continue;
          std::optional<Table> cos = matchTable(cosValue, true);
          std::optional<Table> sin = matchTable(sinValue, true);
          if (cos && sin && cos->length == sin->length) {
            rewriter.replaceOp(root, createRope(rewriter, root.getLoc(), type,
                                                x, *cos, *sin, RopeMode::half));
            return success();
          }
          std::string why;
          if (Value rope =
                  computedRope(rewriter, root, x, cosValue, sinValue, why)) {
            rewriter.replaceOp(root, rope);
            return success();
          }
          // x * cos + rotate_half(x) * sin: a RoPE, say why it is not raised.
          return recordUnraised(rewriter, root, "rope not recognised: " + why);
        }
      }
    }
    return rewriter.notifyMatchFailure(
        root, "half RoPE: not x * cos + rotate_half(x) * sin");
  }

  /// llmc.rope of x over tables evaluated from computed cos/sin; null when
  /// they are not a computation of positions.
  Value computedRope(PatternRewriter &rewriter, AddOp root, Value x,
                     Value cosValue, Value sinValue, std::string &why) const {
    RankedTensorType type = root.getType();
    if (type.isDynamicDim(3)) {
      why = "head_dim is not known";
      return Value();
    }
    if (isConstant(cosValue) || isConstant(sinValue)) {
      why = "the constant cos/sin are not tables sliced to the sequence";
      return Value();
    }
    int64_t headDim = type.getDimSize(3);
    std::optional<ComputedTable> cos =
        computeTable(cosValue, positions, headDim, why);
    std::optional<ComputedTable> sin =
        cos ? computeTable(sinValue, positions, headDim, why) : std::nullopt;
    if (!cos || !sin)
      return Value();
    if (cos->positions != sin->positions ||
        cos->sequenceAxis != sin->sequenceAxis) {
      why = "cos and sin are computed from different positions";
      return Value();
    }
    Location loc = root.getLoc();
    Type elementType = type.getElementType();
    Block &entry = root->getParentOfType<func::FuncOp>().front();
    Value cosTable = createTable(rewriter, loc, "rope_cos", cos->table,
                                 headDim / 2, elementType, entry);
    Value sinTable = createTable(rewriter, loc, "rope_sin", sin->table,
                                 headDim / 2, elementType, entry);
    // Positions: the position_ids input, past + 0..sequence-1, or
    // 0..sequence-1.
    Value at = cos->positions;
    if (at.getDefiningOp<IotaOp>())
      at = IotaOp::create(rewriter, loc, at.getType());
    // llmc.rope works on [b, s, h, d]; x may be [b, h, s, d].
    static constexpr int64_t kSwap[] = {0, 2, 1, 3};
    bool headsMajor = cos->sequenceAxis == 2;
    Value input = headsMajor ? TransposeOp::create(rewriter, loc, x, kSwap) : x;
    Value rope = RopeOp::create(rewriter, loc, input, cosTable, sinTable, at,
                                RopeMode::half);
    return headsMajor ? TransposeOp::create(rewriter, loc, rope, kSwap) : rope;
  }

  int64_t positions;
};

} // namespace

void populateRaiseRopePatterns(RewritePatternSet &patterns,
                               int64_t tablePositions) {
  patterns.add<RaiseInterleavedRope>(patterns.getContext());
  patterns.add<RaiseHalfRope>(patterns.getContext(), tablePositions);
}

} // namespace llmc
