//===- ConvertDataMovement.cpp - ONNX layout ops to llmc ------------------===//
//
// Gather, Transpose, Concat, Split, Unsqueeze, Squeeze, Reshape, Expand and
// Slice. Where the shape operands are constants the static llmc op is built
// (its result type carries the shape); otherwise the dynamic_* form, which
// llmc-fold-shapes resolves.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/NodeImport.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace llmc::onnx_import {

using Results = FailureOr<SmallVector<Value>>;

static Results single(FailureOr<Value> value) {
  if (failed(value))
    return failure();
  return SmallVector<Value>{*value};
}

template <typename OpTy> static Results single(FailureOr<OpTy> op) {
  if (failed(op))
    return failure();
  return SmallVector<Value>{op->getResult()};
}

static Results convertGather(NodeImport &node) {
  FailureOr<Value> data = node.input(0), indices = node.input(1);
  if (failed(data) || failed(indices))
    return failure();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", 0), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  GatherOp::Properties properties;
  properties.setAxis(node.builder.getI64IntegerAttr(*axis));
  return single(createInferred<GatherOp>(node, {*data, *indices}, properties));
}

static Results convertGatherND(NodeImport &node) {
  FailureOr<Value> data = node.input(0), indices = node.input(1);
  if (failed(data) || failed(indices))
    return failure();
  GatherNdOp::Properties properties;
  properties.setBatchDims(
      node.builder.getI64IntegerAttr(node.intAttr("batch_dims", 0)));
  return single(
      createInferred<GatherNdOp>(node, {*data, *indices}, properties));
}

static Results convertScatterND(NodeImport &node) {
  FailureOr<Value> data = node.input(0), indices = node.input(1),
                   updates = node.input(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  if (const onnx::AttributeProto *reduction = node.attribute("reduction");
      reduction && reduction->s() != "none")
    return node.error() << "reduction '" << reduction->s()
                        << "' is not supported (only 'none')";
  auto scatter = ScatterNdOp::create(node.builder, node.loc, node.inputType(0),
                                     *data, *indices, *updates);
  if (failed(mlir::verify(scatter))) {
    scatter.erase();
    return failure();
  }
  return SmallVector<Value>{scatter.getResult()};
}

static Results convertTranspose(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  SmallVector<int64_t> permutation;
  if (std::optional<SmallVector<int64_t>> perm = node.intsAttr("perm"))
    permutation = *perm;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      permutation.push_back(i);
  TransposeOp::Properties properties;
  properties.setPermutation(node.builder.getDenseI64ArrayAttr(permutation));
  return single(createInferred<TransposeOp>(node, {*input}, properties));
}

static Results convertConcat(NodeImport &node) {
  if (node.inputs.empty() || llvm::is_contained(node.inputs, Value()))
    return node.error() << "expects one or more inputs";
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", 0), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  ConcatOp::Properties properties;
  properties.setAxis(node.builder.getI64IntegerAttr(*axis));
  return single(createInferred<ConcatOp>(node, node.inputs, properties));
}

/// The constant axes of the `axes` input (opset >= 13) or attribute; none
/// when the node has neither.
static FailureOr<std::optional<SmallVector<int64_t>>>
getAxes(NodeImport &node, unsigned inputIndex) {
  if (!node.hasInput(inputIndex))
    return node.intsAttr("axes");
  std::optional<SmallVector<int64_t>> axes = node.constantInts(inputIndex);
  if (!axes)
    return node.error() << "axes must be a constant";
  return axes;
}

/// `axes` made non-negative for `rank`, sorted, without repeats.
static FailureOr<SmallVector<int64_t>>
normalizeAxes(NodeImport &node, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> normalized;
  for (int64_t axis : axes) {
    FailureOr<int64_t> n = node.normalizeAxis(axis, rank);
    if (failed(n))
      return failure();
    normalized.push_back(*n);
  }
  llvm::sort(normalized);
  if (std::adjacent_find(normalized.begin(), normalized.end()) !=
      normalized.end())
    return node.error() << "repeated axis";
  return normalized;
}

static Value createReshape(NodeImport &node, Value input, ArrayRef<Dim> dims) {
  auto type = cast<RankedTensorType>(input.getType());
  return ReshapeOp::create(node.builder, node.loc,
                           buildTensorType(dims, type.getElementType()), input);
}

static Results convertUnsqueeze(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = getAxes(node, 1);
  if (failed(input) || failed(axes))
    return failure();
  if (!*axes)
    return node.error() << "expects axes";
  DimList dims = getDims(node.inputType(0));
  FailureOr<SmallVector<int64_t>> normalized =
      normalizeAxes(node, **axes, dims.size() + (*axes)->size());
  if (failed(normalized))
    return failure();
  for (int64_t axis : *normalized)
    dims.insert(dims.begin() + axis, Dim::fixed(1));
  return SmallVector<Value>{createReshape(node, *input, dims)};
}

static Results convertSqueeze(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = getAxes(node, 1);
  if (failed(input) || failed(axes))
    return failure();
  DimList dims = getDims(node.inputType(0)), kept;
  SmallVector<int64_t> squeezed;
  if (*axes) {
    FailureOr<SmallVector<int64_t>> normalized =
        normalizeAxes(node, **axes, dims.size());
    if (failed(normalized))
      return failure();
    squeezed = *normalized;
  }
  for (auto [index, dim] : llvm::enumerate(dims)) {
    bool squeeze = *axes ? llvm::is_contained(squeezed, int64_t(index))
                         : dim == Dim::fixed(1);
    if (!squeeze) {
      kept.push_back(dim);
      continue;
    }
    if (dim.isStatic() && dim.getSize() != 1)
      return node.error() << "cannot squeeze dimension " << index
                          << " of extent " << dim.getSize();
  }
  return SmallVector<Value>{createReshape(node, *input, kept)};
}

/// The product of `dims`: static when all are, the one named dimension
/// when the others are 1, unknown otherwise.
static Dim productOf(ArrayRef<Dim> dims) {
  int64_t product = 1;
  std::optional<Dim> symbolic;
  for (const Dim &dim : dims) {
    if (dim.isStatic()) {
      product *= dim.getSize();
      continue;
    }
    if (symbolic)
      return Dim::unknown();
    symbolic = dim;
  }
  if (!symbolic)
    return Dim::fixed(product);
  return product == 1 ? *symbolic : Dim::unknown();
}

static Results convertFlatten(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  DimList dims = getDims(node.inputType(0));
  // Flatten's axis is in [-rank, rank]: a negative one counts from the end
  // of the dims (not of the rank + 1 cut points).
  int64_t rank = dims.size(), given = node.intAttr("axis", 1);
  FailureOr<int64_t> axis =
      node.normalizeAxis(given < 0 ? given + rank : given, rank + 1);
  if (failed(axis))
    return failure();
  ArrayRef<Dim> all(dims);
  return SmallVector<Value>{createReshape(
      node, *input,
      {productOf(all.take_front(*axis)), productOf(all.drop_front(*axis))})};
}

static Results convertReshape(NodeImport &node) {
  FailureOr<Value> input = node.input(0), shape = node.input(1);
  if (failed(input) || failed(shape))
    return failure();
  RankedTensorType inputType = node.inputType(0), shapeType = node.inputType(1);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return node.error() << "shape must be 1-D with a static length, got "
                        << shapeType;
  bool allowZero = node.intAttr("allowzero", 0) != 0;
  DimList dims(shapeType.getDimSize(0), Dim::unknown());
  // A constant shape that resolves fully gives a static reshape; otherwise
  // the shape stays an operand for llmc-fold-shapes (which may know more
  // names by then).
  if (std::optional<SmallVector<int64_t>> target = node.constantInts(1)) {
    DimList entries;
    for (int64_t value : *target)
      entries.push_back(Dim::fixed(value));
    FailureOr<DimList> resolved =
        resolveReshape(getDims(inputType), entries, allowZero, node.loc);
    if (failed(resolved))
      return failure();
    dims = *resolved;
    if (llvm::none_of(dims, [](const Dim &d) { return d.isUnknown(); }))
      return SmallVector<Value>{createReshape(node, *input, dims)};
  }
  Value result = DynamicReshapeOp::create(
      node.builder, node.loc, buildTensorType(dims, inputType.getElementType()),
      *input, *shape, allowZero);
  return SmallVector<Value>{result};
}

static Results convertExpand(NodeImport &node) {
  FailureOr<Value> input = node.input(0), shape = node.input(1);
  if (failed(input) || failed(shape))
    return failure();
  RankedTensorType inputType = node.inputType(0);
  if (std::optional<SmallVector<int64_t>> target = node.constantInts(1)) {
    DimList targetDims;
    for (int64_t value : *target)
      targetDims.push_back(Dim::fixed(value));
    FailureOr<DimList> dims =
        broadcastDims(getDims(inputType), targetDims, node.loc);
    if (failed(dims))
      return failure();
    Value result = ExpandOp::create(
        node.builder, node.loc,
        buildTensorType(*dims, inputType.getElementType()), *input);
    return SmallVector<Value>{result};
  }
  RankedTensorType shapeType = node.inputType(1);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return node.error() << "shape must be 1-D with a static length, got "
                        << shapeType;
  int64_t rank = std::max(shapeType.getDimSize(0), inputType.getRank());
  Value result =
      DynamicExpandOp::create(node.builder, node.loc,
                              buildTensorType(DimList(rank, Dim::unknown()),
                                              inputType.getElementType()),
                              *input, *shape);
  return SmallVector<Value>{result};
}

/// A static slice when starts, ends, axes and steps are constants and every
/// sliced extent is known (or a named extent is taken whole).
static std::optional<Value> staticSlice(NodeImport &node, Value input) {
  std::optional<SmallVector<int64_t>> starts = node.constantInts(1),
                                      ends = node.constantInts(2);
  if (!starts || !ends || starts->size() != ends->size())
    return std::nullopt;
  size_t count = starts->size();
  SmallVector<int64_t> axes, steps(count, 1);
  for (size_t i = 0; i < count; ++i)
    axes.push_back(i);
  if (node.hasInput(3)) {
    std::optional<SmallVector<int64_t>> given = node.constantInts(3);
    if (!given || given->size() != count)
      return std::nullopt;
    axes = *given;
  }
  if (node.hasInput(4)) {
    std::optional<SmallVector<int64_t>> given = node.constantInts(4);
    if (!given || given->size() != count)
      return std::nullopt;
    steps = *given;
  }
  RankedTensorType type = node.inputType(0);
  DimList dims = getDims(type);
  int64_t rank = type.getRank();
  SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
  for (size_t i = 0; i < count; ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank || steps[i] <= 0)
      return std::nullopt;
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (!dims[axis].isStatic()) {
      // Only "everything" of a named or unknown extent stays expressible.
      if (start != 0 || steps[i] != 1 || end < (int64_t(1) << 31) - 1)
        return std::nullopt;
      continue;
    }
    int64_t extent = dims[axis].getSize();
    start = std::clamp(start < 0 ? start + extent : start, int64_t(0), extent);
    end = std::clamp(end < 0 ? end + extent : end, int64_t(0), extent);
    offsets[axis] = start;
    strides[axis] = steps[i];
    int64_t size = end > start ? (end - start + steps[i] - 1) / steps[i] : 0;
    dims[axis] = Dim::fixed(size);
  }
  return SliceOp::create(node.builder, node.loc,
                         buildTensorType(dims, type.getElementType()), input,
                         node.builder.getDenseI64ArrayAttr(offsets),
                         node.builder.getDenseI64ArrayAttr(strides))
      .getResult();
}

static Results convertSlice(NodeImport &node) {
  FailureOr<Value> input = node.input(0), starts = node.input(1),
                   ends = node.input(2);
  if (failed(input) || failed(starts) || failed(ends))
    return failure();
  if (std::optional<Value> result = staticSlice(node, *input))
    return SmallVector<Value>{*result};
  if (std::optional<SmallVector<int64_t>> steps = node.constantInts(4);
      steps && llvm::any_of(*steps, [](int64_t s) { return s < 1; }))
    return node.error() << "steps below 1 (reversing slices) are not "
                           "supported";
  auto vectorType = cast<RankedTensorType>(starts->getType());
  if (vectorType.getRank() != 1 || vectorType.isDynamicDim(0))
    return node.error() << "starts must be 1-D with a static length";
  int64_t count = vectorType.getDimSize(0);
  // ONNX defaults for the optional operands, as constants.
  auto constant = [&](ArrayRef<int64_t> values) -> Value {
    auto type = RankedTensorType::get({count}, vectorType.getElementType());
    SmallVector<APInt> ints;
    for (int64_t v : values)
      ints.push_back(APInt(vectorType.getElementTypeBitWidth(), v, true));
    return ConstantOp::create(node.builder, node.loc,
                              DenseElementsAttr::get(type, ints));
  };
  SmallVector<int64_t> defaultAxes, ones(count, 1);
  for (int64_t i = 0; i < count; ++i)
    defaultAxes.push_back(i);
  Value axes = node.hasInput(3) ? node.inputs[3] : constant(defaultAxes);
  Value steps = node.hasInput(4) ? node.inputs[4] : constant(ones);
  RankedTensorType type = node.inputType(0);
  // Which axes are sliced is unknown until folding: all extents unknown.
  Value result = DynamicSliceOp::create(
      node.builder, node.loc,
      buildTensorType(DimList(type.getRank(), Dim::unknown()),
                      type.getElementType()),
      *input, *starts, *ends, axes, steps);
  return SmallVector<Value>{result};
}

static Results convertSplit(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  DimList dims = getDims(type);
  int64_t outputs = node.node.output_size();
  std::optional<SmallVector<int64_t>> sizes = node.intsAttr("split");
  if (node.hasInput(1)) {
    sizes = node.constantInts(1);
    if (!sizes)
      return node.error() << "split sizes must be a constant";
  }
  bool even = !sizes;
  if (even) {
    // Pieces of an extent known only after shape folding stay unknown.
    sizes = dims[*axis].isStatic()
                ? evenSplitSizes(dims[*axis].getSize(), outputs)
                : SmallVector<int64_t>(outputs, ShapedType::kDynamic);
  }
  if (static_cast<int64_t>(sizes->size()) != outputs)
    return node.error() << sizes->size() << " split sizes for " << outputs
                        << " outputs";
  SmallVector<Type> types;
  for (int64_t size : *sizes) {
    dims[*axis] =
        ShapedType::isDynamic(size) ? Dim::unknown() : Dim::fixed(size);
    types.push_back(buildTensorType(dims, type.getElementType()));
  }
  auto split = SplitOp::create(node.builder, node.loc, types, *input,
                               node.builder.getI64IntegerAttr(*axis),
                               even ? node.builder.getUnitAttr() : UnitAttr());
  return SmallVector<Value>(split.getResults());
}

static Results convertTrilu(NodeImport &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  if (node.inputType(0).getRank() < 2)
    return node.error() << "expects a tensor of rank >= 2, got "
                        << node.inputType(0);
  int64_t k = 0;
  if (node.hasInput(1)) {
    std::optional<SmallVector<int64_t>> value = node.constantInts(1);
    if (!value || value->size() != 1)
      return node.error() << "k must be a one-element constant";
    k = (*value)[0];
  }
  OpBuilder &b = node.builder;
  return SmallVector<Value>{
      TriluOp::create(b, node.loc, *input, b.getI64IntegerAttr(k),
                      node.intAttr("upper", 1) ? b.getUnitAttr() : UnitAttr())};
}

void registerDataMovementConverters(ConverterMap &map) {
  map["Trilu"] = convertTrilu;
  map["Gather"] = convertGather;
  map["GatherND"] = convertGatherND;
  map["ScatterND"] = convertScatterND;
  map["Transpose"] = convertTranspose;
  map["Concat"] = convertConcat;
  map["Unsqueeze"] = convertUnsqueeze;
  map["Squeeze"] = convertSqueeze;
  map["Flatten"] = convertFlatten;
  map["Reshape"] = convertReshape;
  map["Expand"] = convertExpand;
  map["Slice"] = convertSlice;
  map["Split"] = convertSplit;
}

} // namespace llmc::onnx_import
