//===- FoldShapes.cpp - exporter shape arithmetic to dimensions in types --===//
//
// Import clean-up (see Passes.td: llmc-fold-shapes): after it, no shape
// computation is left and every tensor type names its symbolic dimensions.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/analysis/ShapeValues.h"
#include "passes/analysis/SliceEvaluator.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <functional>
#include <limits>

namespace llmc {
#define GEN_PASS_DEF_FOLDSHAPES
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

bool hasUnknown(ArrayRef<Dim> dims) {
  return llvm::any_of(dims, [](const Dim &d) { return d.isUnknown(); });
}

/// `declared` with its unknown dimensions taken from `known` (same rank and
/// element type), or `declared` unchanged.
Type refineType(Type declared, ArrayRef<Dim> known) {
  auto type = dyn_cast<RankedTensorType>(declared);
  if (!type || type.getRank() != int64_t(known.size()))
    return declared;
  DimList dims = getDims(type);
  for (auto [dim, better] : llvm::zip_equal(dims, known))
    if (dim.isUnknown() && !better.isUnknown())
      dim = better;
  return buildTensorType(dims, type.getElementType());
}

Type refineType(Type declared, Type known) {
  auto type = dyn_cast<RankedTensorType>(known);
  return type ? refineType(declared, getDims(type)) : declared;
}

/// Whether `better` only fills in what `dims` leaves unknown.
bool onlyFillsIn(ArrayRef<Dim> better, ArrayRef<Dim> dims) {
  return better.size() == dims.size() &&
         llvm::all_of(llvm::zip_equal(better, dims), [](auto pair) {
           auto [b, d] = pair;
           return d.isUnknown() || b == d;
         });
}

/// Replaces `op` by a static form of type `dims`, if `dims` is fully known
/// and agrees with what `op` declared.
template <typename StaticOp, typename... Args>
LogicalResult replaceWithStatic(PatternRewriter &rewriter, Operation *op,
                                ArrayRef<Dim> dims, Args &&...args) {
  auto declared = cast<RankedTensorType>(op->getResult(0).getType());
  if (hasUnknown(dims) || !onlyFillsIn(dims, getDims(declared)))
    return failure();
  rewriter.replaceOpWithNewOp<StaticOp>(
      op, buildTensorType(dims, declared.getElementType()),
      std::forward<Args>(args)...);
  return success();
}

struct FoldDynamicReshape : OpRewritePattern<DynamicReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DynamicReshapeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<DimList> entries = evaluateShapeValue(op.getShape());
    if (!entries)
      return failure();
    FailureOr<DimList> dims =
        resolveReshape(getDims(op.getInput().getType()), *entries,
                       op.getAllowZero(), std::nullopt);
    if (failed(dims))
      return failure();
    if (succeeded(
            replaceWithStatic<ReshapeOp>(rewriter, op, *dims, op.getInput())))
      return success();
    // A -1 over extents that have no one name (batch * sequence): the
    // element count still determines it, so no shape operand is needed.
    auto unknown = [](const Dim &d) { return d.isUnknown(); };
    auto declared = cast<RankedTensorType>(op.getType());
    if (llvm::none_of(*entries, unknown) &&
        llvm::none_of(getDims(op.getInput().getType()), unknown) &&
        llvm::count_if(*dims, unknown) == 1 &&
        onlyFillsIn(*dims, getDims(declared))) {
      rewriter.replaceOpWithNewOp<ReshapeOp>(
          op, buildTensorType(*dims, declared.getElementType()), op.getInput());
      return success();
    }
    // Partly known: name what can be named; a later round may finish.
    Type refined = refineType(op.getType(), *dims);
    if (refined == op.getType())
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op->getResult(0).setType(refined); });
    return success();
  }
};

struct FoldDynamicExpand : OpRewritePattern<DynamicExpandOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DynamicExpandOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<DimList> shape = evaluateShapeValue(op.getShape());
    if (!shape)
      return failure();
    FailureOr<DimList> dims =
        broadcastDims(getDims(op.getInput().getType()), *shape, std::nullopt);
    if (failed(dims))
      return failure();
    return replaceWithStatic<ExpandOp>(rewriter, op, *dims, op.getInput());
  }
};

struct FoldDynamicSlice : OpRewritePattern<DynamicSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DynamicSliceOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<SmallVector<int64_t>> starts =
        evaluateStaticInts(op.getStarts());
    std::optional<SmallVector<int64_t>> axes = evaluateStaticInts(op.getAxes());
    std::optional<SmallVector<int64_t>> steps =
        evaluateStaticInts(op.getSteps());
    std::optional<DimList> ends = evaluateShapeValue(op.getEnds());
    if (!starts || !axes || !steps || !ends)
      return failure();
    RankedTensorType type = op.getInput().getType();
    int64_t rank = type.getRank();
    DimList dims = getDims(type);
    SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
    constexpr int64_t kToTheEnd = (int64_t(1) << 31) - 1;
    for (size_t i = 0; i < starts->size(); ++i) {
      int64_t axis = (*axes)[i] < 0 ? (*axes)[i] + rank : (*axes)[i];
      int64_t start = (*starts)[i], step = (*steps)[i];
      Dim end = (*ends)[i];
      if (axis < 0 || axis >= rank || step < 1 || end.isUnknown())
        return failure();
      Dim extent = dims[axis];
      if (!extent.isStatic()) {
        // A whole named extent: from 0 to the end, or to the extent itself.
        bool whole =
            start == 0 && step == 1 &&
            (end == extent || (end.isStatic() && end.getSize() >= kToTheEnd));
        if (!whole)
          return failure();
        continue;
      }
      int64_t size = extent.getSize();
      start = std::clamp(start < 0 ? start + size : start, int64_t(0), size);
      offsets[axis] = start;
      strides[axis] = step;
      if (end.isNamed()) {
        // mask[:sequence]: the exporter's own shapes bound it by the extent.
        if (step != 1 || start != 0)
          return failure();
        dims[axis] = end;
        continue;
      }
      int64_t stop = end.getSize();
      stop = std::clamp(stop < 0 ? stop + size : stop, int64_t(0), size);
      dims[axis] =
          Dim::fixed(stop > start ? (stop - start + step - 1) / step : 0);
    }
    return replaceWithStatic<SliceOp>(rewriter, op, dims, op.getInput(),
                                      rewriter.getDenseI64ArrayAttr(offsets),
                                      rewriter.getDenseI64ArrayAttr(strides));
  }
};

/// ScatterND of updates over every element of data, the index tuples
/// running through data's positions in order (TorchScript's form of
/// `mask[:, :, :, :n] = ...` when n is the whole extent, as in the legacy
/// 4-D masks of StableLM and Falcon): the updates themselves. The indices
/// are checked to be that grid by evaluating them at two sets of sample
/// extents.
struct FoldWholeScatter : OpRewritePattern<ScatterNdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScatterNdOp op,
                                PatternRewriter &rewriter) const override {
    DimList data = getDims(op.getData().getType());
    DimList indices = getDims(op.getIndices().getType());
    DimList updates = getDims(op.getUpdates().getType());
    int64_t rank = data.size();
    if (hasUnknown(data) || int64_t(indices.size()) != rank + 1 ||
        indices.back() != Dim::fixed(rank) ||
        ArrayRef<Dim>(indices).drop_back() != ArrayRef<Dim>(data) ||
        updates != data)
      return failure();
    auto function = op->getParentOfType<func::FuncOp>();
    for (int64_t base : {2, 3}) {
      llvm::StringMap<int64_t> extents;
      int64_t next = base;
      for (StringAttr name : argumentDimNames(function))
        extents[name.getValue()] = next++;
      SliceEvaluator evaluator(std::move(extents));
      FailureOr<const EvalTensor *> grid = evaluator.evaluate(op.getIndices());
      if (failed(grid))
        return failure();
      const EvalTensor &t = **grid;
      SmallVector<int64_t> position(rank, 0);
      for (int64_t i = 0; i < t.numElements(); i += rank) {
        for (int64_t d = 0; d < rank; ++d)
          if (t.data[i + d] != double(position[d]))
            return failure();
        for (int64_t d = rank - 1; d >= 0; --d) {
          if (++position[d] < t.shape[d])
            break;
          position[d] = 0;
        }
      }
    }
    Value result = op.getUpdates();
    if (result.getType() != op.getType())
      result = ReshapeOp::create(rewriter, op.getLoc(), op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FoldRange : OpRewritePattern<RangeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RangeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<SmallVector<int64_t>> start =
        evaluateStaticInts(op.getStart());
    std::optional<SmallVector<int64_t>> delta =
        evaluateStaticInts(op.getDelta());
    std::optional<DimList> limit = evaluateShapeValue(op.getLimit());
    if (!delta || !limit || (*delta)[0] != 1 || (*limit)[0].isUnknown())
      return failure();
    if (start && (*start)[0] == 0)
      return replaceWithStatic<IotaOp>(rewriter, op, {(*limit)[0]});
    // Range(past, past + sequence): positions after a cache's (Gemma's
    // optimum export has no position_ids), past + 0..sequence-1.
    std::optional<DimList> first = evaluateShapeValue(op.getStart());
    if (!first || !(*first)[0].isNamed())
      return failure();
    Dim length = subtractDims((*limit)[0], (*first)[0]);
    if (!length.isNamed())
      return failure();
    auto declared = cast<RankedTensorType>(op.getType());
    Type type = buildTensorType({length}, declared.getElementType());
    Value iota = IotaOp::create(rewriter, op.getLoc(), type);
    rewriter.replaceOpWithNewOp<AddOp>(op, type, iota, op.getStart());
    return success();
  }
};

struct FoldConstantOfShape : OpRewritePattern<ConstantOfShapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOfShapeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<DimList> shape = evaluateShapeValue(op.getShape());
    auto value = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!shape || !value || hasUnknown(*shape))
      return failure();
    Type elementType = op.getType().getElementType();
    auto scalar = [&](ArrayRef<int64_t> extents) {
      return DenseElementsAttr::get(RankedTensorType::get(extents, elementType),
                                    value.getSplatValue<Attribute>());
    };
    Type type = buildTensorType(*shape, elementType);
    if (cast<RankedTensorType>(type).hasStaticShape()) {
      rewriter.replaceOpWithNewOp<ConstantOp>(
          op, scalar(cast<RankedTensorType>(type).getShape()));
      return success();
    }
    // Symbolic extents: the one value broadcast.
    if (!onlyFillsIn(*shape, getDims(op.getType())))
      return failure();
    Value fill = ConstantOp::create(rewriter, op.getLoc(), scalar({}));
    rewriter.replaceOpWithNewOp<ExpandOp>(op, type, fill);
    return success();
  }
};

struct FoldStaticShapeOf : OpRewritePattern<ShapeOfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ShapeOfOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getInput().getType();
    if (!type.hasStaticShape())
      return failure();
    rewriter.replaceOpWithNewOp<ConstantOp>(
        op, DenseElementsAttr::get(op.getType(), type.getShape()));
    return success();
  }
};

/// An integer read of a shape (Gather or Slice of shape_of, ...) whose
/// extents are static becomes a constant, also where it feeds data (such
/// as the 1/sqrt(head_dim) a TorchScript export computes from Shape).
struct FoldStaticShapeRead : RewritePattern {
  FoldStaticShapeRead(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1 || isa<ConstantOp>(op) ||
        llvm::none_of(op->getOperands(), [](Value operand) {
          return static_cast<bool>(operand.getDefiningOp<ShapeOfOp>());
        }))
      return failure();
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.hasStaticShape() || type.getRank() > 1 ||
        !type.getElementType().isInteger(64))
      return failure();
    std::optional<SmallVector<int64_t>> values =
        evaluateStaticInts(op->getResult(0));
    if (!values || int64_t(values->size()) != type.getNumElements())
      return failure();
    rewriter.replaceOpWithNewOp<ConstantOp>(
        op, DenseElementsAttr::get(type, ArrayRef<int64_t>(*values)));
    return success();
  }
};

/// A reshape that only adds or removes extents of 1 (what Squeeze and
/// Unsqueeze import as): the result dimensions on which every alignment of
/// the input onto the result with the fewest added and dropped 1s (adding
/// one at an unknown extent counting double) agrees, or nothing when there
/// is no alignment.
std::optional<DimList> refineUnitReshape(ArrayRef<Dim> input,
                                         ArrayRef<Dim> result) {
  const Dim one = Dim::fixed(1);
  std::optional<DimList> agreed;
  int bestEdits = std::numeric_limits<int>::max();
  DimList current(result.begin(), result.end());
  // align(i, j): input[i..] onto result[j..]; each result extent either is
  // the next input extent or an added 1, and an input 1 may be dropped.
  std::function<void(size_t, size_t, int)> align = [&](size_t i, size_t j,
                                                       int edits) {
    if (edits > bestEdits)
      return;
    if (i == input.size() && j == result.size()) {
      if (edits < bestEdits || !agreed) {
        bestEdits = edits;
        agreed = current;
        return;
      }
      for (auto [kept, found] : llvm::zip_equal(*agreed, current))
        if (kept != found)
          kept = Dim::unknown();
      return;
    }
    if (i < input.size() && j < result.size() &&
        dimsAgree(result[j], input[i])) {
      Dim saved = current[j];
      current[j] = result[j].isUnknown() ? input[i] : result[j];
      align(i + 1, j + 1, edits);
      current[j] = saved;
    }
    if (i < input.size() && input[i] == one)
      align(i + 1, j, edits + 1);
    if (j < result.size() && dimsAgree(result[j], one)) {
      Dim saved = current[j];
      current[j] = one;
      // A 1 added where the result says 1 is likelier than where it is
      // unknown (Unsqueeze of an input not yet known: [?, ?, 1, ?]).
      align(i, j + 1, edits + (result[j] == one ? 1 : 2));
      current[j] = saved;
    }
  };
  align(0, 0, 0);
  return agreed;
}

/// What the result types of `op` would be given its operands' current
/// types, where llmc can tell; empty otherwise.
SmallVector<Type> knownResultTypes(Operation *op) {
  SmallVector<Type> types;
  if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
    if (failed(infer.inferReturnTypes(
            op->getContext(), std::nullopt, op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), types)))
      types.clear();
    return types;
  }
  if (op->hasTrait<OpTrait::SameOperandsAndResultType>() ||
      isa<RmsNormOp, LayerNormOp, RopeOp, GatedMlpOp, MlpOp, ScatterNdOp>(op))
    return {op->getOperand(0).getType()};
  if (auto cast = dyn_cast<CastOp>(op))
    return {refineType(cast.getType(), cast.getInput().getType())};
  if (auto expand = dyn_cast<ExpandOp>(op)) {
    FailureOr<DimList> dims =
        broadcastDims(getDims(expand.getInput().getType()),
                      getDims(expand.getType()), std::nullopt);
    if (succeeded(dims))
      types.push_back(refineType(expand.getType(), *dims));
    return types;
  }
  if (auto split = dyn_cast<SplitOp>(op)) {
    DimList input = getDims(split.getInput().getType());
    int64_t axis = split.getAxis();
    SmallVector<int64_t> pieces;
    if (split.getEven() && input[axis].isStatic())
      pieces = evenSplitSizes(input[axis].getSize(), split.getNumResults());
    for (auto [i, output] : llvm::enumerate(split.getOutputs())) {
      DimList dims = input;
      dims[axis] = pieces.empty()
                       ? getDims(cast<RankedTensorType>(output.getType()))[axis]
                       : Dim::fixed(pieces[i]);
      types.push_back(refineType(output.getType(), dims));
    }
    return types;
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    // An extent the slice left unknown was one it took whole (offset 0,
    // stride 1: what the importer and FoldDynamicSlice make of a slice of
    // an unknown extent), so it is the input's, once that is known.
    DimList input = getDims(slice.getInput().getType());
    DimList dims = getDims(slice.getType());
    for (auto [d, dim] : llvm::enumerate(dims))
      if (dim.isUnknown() && slice.getOffsets()[d] == 0 &&
          slice.getStrides()[d] == 1)
        dim = input[d];
    return {refineType(slice.getType(), dims)};
  }
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    std::optional<DimList> refined = refineUnitReshape(
        getDims(reshape.getInput().getType()), getDims(reshape.getType()));
    if (refined)
      return {refineType(reshape.getType(), *refined)};
    return {};
  }
  return types;
}

/// Gives every op the most precise result types its operands allow, in
/// program order, and the function the types it now returns.
bool refineTypes(func::FuncOp function) {
  bool changed = false;
  function.walk([&](Operation *op) {
    SmallVector<Type> known = knownResultTypes(op);
    if (known.size() != op->getNumResults())
      return;
    for (auto [result, type] : llvm::zip_equal(op->getResults(), known)) {
      Type refined = refineType(result.getType(), type);
      if (refined != result.getType()) {
        result.setType(refined);
        changed = true;
      }
    }
  });
  Operation *terminator = function.getBody().back().getTerminator();
  FunctionType type = function.getFunctionType();
  auto results = llvm::to_vector(terminator->getOperandTypes());
  if (type.getResults() != ArrayRef<Type>(results)) {
    function.setType(
        FunctionType::get(function.getContext(), type.getInputs(), results));
    changed = true;
  }
  return changed;
}

struct FoldShapes : llmc::impl::FoldShapesBase<FoldShapes> {
  using FoldShapesBase::FoldShapesBase;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    set.add<FoldDynamicReshape, FoldDynamicExpand, FoldDynamicSlice, FoldRange,
            FoldConstantOfShape, FoldStaticShapeOf, FoldStaticShapeRead,
            FoldWholeScatter>(context);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    constexpr int kMaxRounds = 32;
    for (int round = 0; round < kMaxRounds; ++round) {
      bool rewritten = false;
      // No folding here: folds such as reshape(reshape(x)) -> reshape(x)
      // would hide the structure type refinement reads (llmc-cleanup folds
      // afterwards).
      GreedyRewriteConfig config;
      config.enableFolding(false).enableConstantCSE(false);
      if (failed(
              applyPatternsGreedily(function, patterns, config, &rewritten))) {
        function.emitError("llmc-fold-shapes: rewriting did not converge");
        return signalPassFailure();
      }
      if (!refineTypes(function) && !rewritten)
        break;
    }
    if (allowDynamic)
      return;
    // What is left must have a type the memory planning can bound: a
    // shape_of itself does (its reads of symbolic extents, such as a
    // cache's past length feeding positions, run as data).
    WalkResult left = function.walk([](Operation *op) {
      if (!isa<DynamicReshapeOp, DynamicExpandOp, DynamicSliceOp, RangeOp,
               ConstantOfShapeOp>(op))
        return WalkResult::advance();
      op->emitError("shape computation could not be folded into static or "
                    "symbolic dimensions");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
