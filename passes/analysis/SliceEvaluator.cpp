//===- SliceEvaluator.cpp - reference interpreter for small subgraphs -----===//

#include "passes/analysis/SliceEvaluator.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>
#include <numeric>

using namespace mlir;

namespace llmc {

int64_t EvalTensor::numElements() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

double EvalTensor::at(ArrayRef<int64_t> index) const {
  int64_t offset = 0;
  for (auto [i, extent] : llvm::zip_equal(index, shape))
    offset = offset * extent + i;
  return data[offset];
}

namespace {

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Calls `body(index)` for every multi-index of `shape`, row-major.
template <typename Body> void forEachIndex(ArrayRef<int64_t> shape, Body body) {
  SmallVector<int64_t> index(shape.size(), 0);
  int64_t total = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                                  std::multiplies<int64_t>());
  for (int64_t n = 0; n < total; ++n) {
    body(ArrayRef<int64_t>(index));
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// Element offset in a tensor of `shape` broadcast to the rank of `index`.
int64_t broadcastOffset(ArrayRef<int64_t> shape, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> index) {
  int64_t offset = 0, lead = index.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1)
      offset += index[lead + d] * strides[d];
  return offset;
}

FailureOr<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> in) {
  size_t rank = 0;
  for (ArrayRef<int64_t> t : in)
    rank = std::max(rank, t.size());
  SmallVector<int64_t> shape(rank, 1);
  for (ArrayRef<int64_t> t : in)
    for (size_t d = 0; d < t.size(); ++d) {
      int64_t &out = shape[rank - t.size() + d];
      int64_t extent = t[d];
      if (extent == out || extent == 1)
        continue;
      if (out != 1)
        return failure();
      out = extent;
    }
  return shape;
}

/// Applies `f` elementwise with numpy broadcasting.
template <typename F>
FailureOr<EvalTensor> elementwise(ArrayRef<const EvalTensor *> in, F f) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (const EvalTensor *t : in)
    shapes.push_back(t->shape);
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (failed(shape))
    return failure();
  SmallVector<SmallVector<int64_t>> strides;
  for (const EvalTensor *t : in)
    strides.push_back(stridesOf(t->shape));
  EvalTensor out{*shape, {}};
  out.data.reserve(out.numElements());
  SmallVector<double, 3> args(in.size());
  forEachIndex(*shape, [&](ArrayRef<int64_t> index) {
    for (size_t i = 0; i < in.size(); ++i)
      args[i] = in[i]->data[broadcastOffset(in[i]->shape, strides[i], index)];
    out.data.push_back(f(ArrayRef<double>(args)));
  });
  return out;
}

bool isIntegerTensor(Type type) {
  return isa<IntegerType>(cast<ShapedType>(type).getElementType());
}

/// `value` converted as storing it in `type`'s element type would.
double convertTo(Type type, double value) {
  Type element = cast<ShapedType>(type).getElementType();
  if (element.isInteger(1))
    return value != 0.0 ? 1.0 : 0.0;
  if (isa<IntegerType>(element))
    return std::isfinite(value) ? std::trunc(value) : 0.0;
  if (element.isF32())
    return static_cast<double>(static_cast<float>(value));
  return value;
}

std::optional<EvalTensor> readConstant(ConstantOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  EvalTensor out{llvm::to_vector(type.getShape()), {}};
  Type element = type.getElementType();
  if (auto dense = dyn_cast<DenseElementsAttr>(op.getValue())) {
    if (isa<FloatType>(element)) {
      for (APFloat v : dense.getValues<APFloat>())
        out.data.push_back(v.convertToDouble());
      return out;
    }
    if (element.isInteger(1)) {
      for (bool v : dense.getValues<bool>())
        out.data.push_back(v);
      return out;
    }
    if (isa<IntegerType>(element)) {
      for (APInt v : dense.getValues<APInt>())
        out.data.push_back(static_cast<double>(v.getSExtValue()));
      return out;
    }
    return std::nullopt;
  }
  std::optional<ArrayRef<char>> raw = getRawConstantData(op.getValue());
  unsigned width = element.getIntOrFloatBitWidth();
  if (!raw || width % 8 != 0 || width > 64)
    return std::nullopt;
  unsigned bytes = width / 8;
  for (size_t i = 0; i + bytes <= raw->size(); i += bytes) {
    uint64_t bits = 0;
    std::memcpy(&bits, raw->data() + i, bytes);
    if (auto floatType = dyn_cast<FloatType>(element))
      out.data.push_back(
          APFloat(floatType.getFloatSemantics(), APInt(width, bits))
              .convertToDouble());
    else
      out.data.push_back(
          static_cast<double>(APInt(width, bits).getSExtValue()));
  }
  if (int64_t(out.data.size()) != out.numElements())
    return std::nullopt;
  return out;
}

/// A new tensor of `shape` whose element at `index` is `in` at `source(index)`.
template <typename Source>
EvalTensor rearrange(const EvalTensor &in, ArrayRef<int64_t> shape,
                     Source source) {
  EvalTensor out{llvm::to_vector(shape), {}};
  out.data.reserve(out.numElements());
  SmallVector<int64_t> strides = stridesOf(in.shape);
  SmallVector<int64_t> from(in.shape.size());
  forEachIndex(shape, [&](ArrayRef<int64_t> index) {
    source(index, from);
    int64_t offset = 0;
    for (size_t d = 0; d < from.size(); ++d)
      offset += from[d] * strides[d];
    out.data.push_back(in.data[offset]);
  });
  return out;
}

int64_t normalizeIndex(double value, int64_t extent) {
  int64_t i = static_cast<int64_t>(value);
  return i < 0 ? i + extent : i;
}

/// ONNX Slice bounds for one axis: clamped start and the element count.
std::pair<int64_t, int64_t> sliceBounds(int64_t start, int64_t end,
                                        int64_t step, int64_t extent) {
  auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
    return std::max(lo, std::min(hi, v));
  };
  if (start < 0)
    start += extent;
  if (end < 0)
    end += extent;
  if (step > 0) {
    start = clamp(start, 0, extent);
    end = clamp(end, 0, extent);
    return {start, std::max<int64_t>(0, (end - start + step - 1) / step)};
  }
  start = clamp(start, 0, extent - 1);
  end = clamp(end, -1, extent - 1);
  return {start, std::max<int64_t>(0, (start - end - step - 1) / -step)};
}

/// The value every element of a ConstantOfShape holds.
double fillValue(ConstantOfShapeOp op) {
  if (auto dense = dyn_cast<DenseElementsAttr>(op.getValue())) {
    if (isa<FloatType>(dense.getElementType()))
      return (*dense.getValues<APFloat>().begin()).convertToDouble();
    if (dense.getElementType().isInteger(1))
      return *dense.getValues<bool>().begin();
    return (*dense.getValues<APInt>().begin()).getSExtValue();
  }
  if (auto f = dyn_cast<FloatAttr>(op.getValue()))
    return f.getValueAsDouble();
  if (auto i = dyn_cast<IntegerAttr>(op.getValue()))
    return i.getValue().getSExtValue();
  return 0;
}

/// Whether a Trilu keeps element (i, j) of each matrix.
bool triluKeeps(TriluOp op, int64_t i, int64_t j) {
  int64_t k = op.getK(); // the getter is unsigned
  return op.getUpper() ? j - i >= k : j - i <= k;
}

} // namespace

SliceEvaluator::SliceEvaluator(llvm::StringMap<int64_t> extents,
                               int64_t maxElements)
    : extents(std::move(extents)), maxElements(maxElements) {}

void SliceEvaluator::bind(Value value, EvalTensor tensor) {
  values[value] = std::make_unique<EvalTensor>(std::move(tensor));
}

FailureOr<int64_t> SliceEvaluator::extentOf(StringRef name) const {
  int64_t total = 0;
  SmallVector<StringRef> terms;
  name.split(terms, '+');
  for (StringRef term : terms) {
    auto it = extents.find(term.trim());
    if (it == extents.end())
      return failure();
    total += it->second;
  }
  return total;
}

FailureOr<SmallVector<int64_t>> SliceEvaluator::extentsOf(Type type) const {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return failure();
  SmallVector<int64_t> out;
  for (const Dim &dim : getDims(tensor)) {
    if (dim.isStatic()) {
      out.push_back(dim.getSize());
      continue;
    }
    if (!dim.isNamed())
      return failure();
    FailureOr<int64_t> extent = extentOf(dim.getName().getValue());
    if (failed(extent))
      return failure();
    out.push_back(*extent);
  }
  return out;
}

FailureOr<const EvalTensor *> SliceEvaluator::evaluate(Value value) {
  if (auto it = values.find(value); it != values.end())
    return it->second.get();
  auto result = dyn_cast<OpResult>(value);
  if (!result)
    return failure();
  FailureOr<EvalTensor> computed =
      compute(result.getOwner(), result.getResultNumber());
  if (failed(computed) || computed->numElements() > maxElements ||
      int64_t(computed->data.size()) != computed->numElements())
    return failure();
  // The contents must have the shape the type promises (rank, and every
  // static or named extent), or later ops would index out of bounds.
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != int64_t(computed->shape.size()))
    return failure();
  for (auto [dim, extent] : llvm::zip_equal(getDims(type), computed->shape)) {
    if (dim.isStatic() && dim.getSize() != extent)
      return failure();
    if (dim.isNamed()) {
      FailureOr<int64_t> expected = extentOf(dim.getName().getValue());
      if (succeeded(expected) && *expected != extent)
        return failure();
    }
  }
  auto &slot = values[value];
  slot = std::make_unique<EvalTensor>(std::move(*computed));
  return slot.get();
}

FailureOr<SmallVector<int64_t>> SliceEvaluator::shapeOf(Value value) {
  if (auto it = values.find(value); it != values.end())
    return it->second->shape;
  if (auto it = shapes.find(value); it != shapes.end())
    return it->second;
  FailureOr<SmallVector<int64_t>> shape = extentsOf(value.getType());
  if (failed(shape))
    shape = inferShape(value);
  if (failed(shape)) {
    FailureOr<const EvalTensor *> contents = evaluate(value);
    if (failed(contents))
      return failure();
    shape = (*contents)->shape;
  }
  shapes[value] = *shape;
  return shape;
}

namespace {

/// The ops elementAt() looks through instead of computing them whole: each
/// element of their result is one element of each operand (or 0, for
/// Trilu). ConstantOfShape's elements are its fill.
bool isIndexMap(Operation *op) {
  return isa<ReshapeOp, DynamicReshapeOp, ExpandOp, DynamicExpandOp,
             TransposeOp, SliceOp, DynamicSliceOp, TriluOp>(op);
}

/// `index` of a result of `shape` as the index of an operand of
/// `operandShape` broadcast to it.
SmallVector<int64_t> broadcastIndex(ArrayRef<int64_t> operandShape,
                                    ArrayRef<int64_t> index) {
  int64_t lead = index.size() - operandShape.size();
  SmallVector<int64_t> out;
  for (auto [d, extent] : llvm::enumerate(operandShape))
    out.push_back(extent == 1 ? 0 : index[lead + d]);
  return out;
}

} // namespace

FailureOr<SmallVector<int64_t>>
SliceEvaluator::reshapedShape(Operation *op, ArrayRef<int64_t> inputShape,
                              const EvalTensor *target) const {
  // The result type gives the shape; one unknown extent follows from the
  // element count (so does a computed shape's -1).
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  DimList dims = getDims(type);
  // Several unknown extents among 1s, one per input extent: an Unsqueeze
  // of a tensor whose extents were not known when it was imported ([?, ?]
  // -> [1, 1, ?, ?]; a Reshape with unknown extents imports as
  // dynamic_reshape instead), so the input's extents, in order.
  if (!target &&
      llvm::count_if(dims, [](const Dim &d) { return d.isUnknown(); }) ==
          int64_t(inputShape.size()) &&
      llvm::all_of(dims, [](const Dim &d) {
        return d.isUnknown() || d == Dim::fixed(1);
      })) {
    SmallVector<int64_t> shape;
    size_t next = 0;
    for (const Dim &dim : dims)
      shape.push_back(dim.isUnknown() ? inputShape[next++] : 1);
    return shape;
  }
  SmallVector<int64_t> shape;
  int64_t known = 1, unknownAt = -1;
  for (auto [d, dim] : llvm::enumerate(dims)) {
    int64_t extent = -1;
    if (dim.isStatic())
      extent = dim.getSize();
    else if (dim.isNamed()) {
      FailureOr<int64_t> e = extentOf(dim.getName().getValue());
      if (succeeded(e))
        extent = *e;
    }
    if (extent < 0 && target) {
      if (d >= target->data.size())
        return failure();
      double entry = target->data[d];
      if (entry == 0 && d >= inputShape.size())
        return failure();
      extent = entry == 0 ? inputShape[d] : int64_t(entry);
    }
    if (extent < 0) {
      if (unknownAt >= 0)
        return failure();
      unknownAt = d;
      extent = 1;
    }
    shape.push_back(extent);
    known *= extent;
  }
  int64_t elements = std::accumulate(inputShape.begin(), inputShape.end(),
                                     int64_t(1), std::multiplies<int64_t>());
  if (unknownAt >= 0) {
    if (known == 0 || elements % known != 0)
      return failure();
    shape[unknownAt] = elements / known;
    known = elements;
  }
  if (known != elements)
    return failure();
  return shape;
}

FailureOr<SmallVector<int64_t>>
SliceEvaluator::expandedShape(Operation *op, ArrayRef<int64_t> inputShape,
                              const EvalTensor *target) const {
  SmallVector<int64_t> shape;
  if (target) {
    for (double e : target->data)
      shape.push_back(int64_t(e));
  } else {
    FailureOr<SmallVector<int64_t>> fromType =
        extentsOf(op->getResult(0).getType());
    if (failed(fromType))
      return failure();
    shape = *fromType;
  }
  // Broadcast with the input (a target extent of 1 keeps the input's).
  ArrayRef<int64_t> both[] = {inputShape, shape};
  return broadcastShapes(both);
}

FailureOr<SliceEvaluator::SliceWindow>
SliceEvaluator::sliceWindow(Operation *op, ArrayRef<int64_t> inputShape) {
  int64_t rank = inputShape.size();
  SliceWindow window{SmallVector<int64_t>(rank, 0),
                     SmallVector<int64_t>(rank, 1),
                     llvm::to_vector(inputShape)};
  if (auto slice = dyn_cast<SliceOp>(op)) {
    FailureOr<SmallVector<int64_t>> shape = extentsOf(slice.getType());
    if (failed(shape))
      return failure();
    window.shape = *shape;
    window.step.assign(slice.getStrides().begin(), slice.getStrides().end());
    for (int64_t d = 0; d < rank; ++d) {
      int64_t offset = slice.getOffsets()[d];
      window.start[d] = offset < 0 ? offset + inputShape[d] : offset;
      int64_t last = window.start[d] + (window.shape[d] - 1) * window.step[d];
      if (window.shape[d] > 0 && (last >= inputShape[d] || last < 0))
        return failure();
    }
    return window;
  }
  SmallVector<const EvalTensor *> bounds;
  for (unsigned i = 1; i <= 4; ++i) {
    FailureOr<const EvalTensor *> t = evaluate(op->getOperand(i));
    if (failed(t))
      return failure();
    bounds.push_back(*t);
  }
  const EvalTensor &starts = *bounds[0], &ends = *bounds[1], &axes = *bounds[2],
                   &steps = *bounds[3];
  auto clampInt = [](double v) {
    return int64_t(std::max(-9.0e18, std::min(9.0e18, v)));
  };
  for (size_t i = 0; i < axes.data.size(); ++i) {
    int64_t axis = normalizeIndex(axes.data[i], rank);
    if (axis < 0 || axis >= rank || i >= starts.data.size() ||
        i >= ends.data.size() || i >= steps.data.size())
      return failure();
    int64_t step = steps.data[i];
    if (step == 0)
      return failure();
    auto [first, count] =
        sliceBounds(clampInt(starts.data[i]), clampInt(ends.data[i]), step,
                    inputShape[axis]);
    window.start[axis] = first;
    window.step[axis] = step;
    window.shape[axis] = count;
  }
  return window;
}

FailureOr<SmallVector<int64_t>> SliceEvaluator::inferShape(Value value) {
  auto result = dyn_cast<OpResult>(value);
  if (!result)
    return failure();
  Operation *op = result.getOwner();
  auto operandShape = [&](unsigned i) { return shapeOf(op->getOperand(i)); };
  auto smallOperand = [&](unsigned i) { return evaluate(op->getOperand(i)); };
  if (scalarFunction(op)) {
    SmallVector<SmallVector<int64_t>> shapes;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      FailureOr<SmallVector<int64_t>> shape = operandShape(i);
      if (failed(shape))
        return failure();
      shapes.push_back(std::move(*shape));
    }
    return broadcastShapes(
        SmallVector<ArrayRef<int64_t>>(shapes.begin(), shapes.end()));
  }
  if (isa<ConstantOfShapeOp>(op)) {
    FailureOr<const EvalTensor *> extents = smallOperand(0);
    if (failed(extents))
      return failure();
    SmallVector<int64_t> shape;
    for (double e : (*extents)->data)
      shape.push_back(int64_t(e));
    return shape;
  }
  if (!isIndexMap(op))
    return failure();
  FailureOr<SmallVector<int64_t>> input = operandShape(0);
  if (failed(input))
    return failure();
  if (isa<SliceOp, DynamicSliceOp>(op)) {
    FailureOr<SliceWindow> window = sliceWindow(op, *input);
    if (failed(window))
      return failure();
    return window->shape;
  }
  if (isa<TriluOp>(op))
    return input;
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    SmallVector<int64_t> shape;
    for (int64_t p : transpose.getPermutation())
      shape.push_back((*input)[p]);
    return shape;
  }
  const EvalTensor *target = nullptr;
  if (isa<DynamicReshapeOp, DynamicExpandOp>(op)) {
    FailureOr<const EvalTensor *> t = smallOperand(1);
    if (failed(t))
      return failure();
    target = *t;
  }
  if (isa<ReshapeOp, DynamicReshapeOp>(op))
    return reshapedShape(op, *input, target);
  return expandedShape(op, *input, target);
}

FailureOr<double> SliceEvaluator::elementAt(Value value,
                                            ArrayRef<int64_t> index) {
  auto inBounds = [&](ArrayRef<int64_t> shape) {
    if (shape.size() != index.size())
      return false;
    for (auto [i, extent] : llvm::zip_equal(index, shape))
      if (i < 0 || i >= extent)
        return false;
    return true;
  };
  auto whole = [&]() -> FailureOr<double> {
    FailureOr<const EvalTensor *> contents = evaluate(value);
    if (failed(contents) || !inBounds((*contents)->shape))
      return failure();
    return (*contents)->at(index);
  };
  auto result = dyn_cast<OpResult>(value);
  if (values.count(value) || !result)
    return whole();
  Operation *op = result.getOwner();
  std::optional<ScalarFunction> f = scalarFunction(op);
  if (!f && !isIndexMap(op) && !isa<ConstantOfShapeOp>(op))
    return whole();
  FailureOr<SmallVector<int64_t>> shape = shapeOf(value);
  if (failed(shape) || !inBounds(*shape))
    return failure();
  int64_t elements = std::accumulate(shape->begin(), shape->end(), int64_t(1),
                                     std::multiplies<int64_t>());
  // Small results are computed whole once (and memoized); only large ones
  // are read element by element.
  if (elements <= kWholeElements)
    return whole();
  if (f) {
    SmallVector<double, 3> args;
    for (Value operand : op->getOperands()) {
      FailureOr<SmallVector<int64_t>> operandShape = shapeOf(operand);
      if (failed(operandShape) || operandShape->size() > index.size())
        return failure();
      FailureOr<double> arg =
          elementAt(operand, broadcastIndex(*operandShape, index));
      if (failed(arg))
        return failure();
      args.push_back(*arg);
    }
    if (isa<DivOp>(op) && isIntegerTensor(value.getType()) && args[1] == 0)
      return failure();
    return (*f)(args);
  }
  if (auto constant = dyn_cast<ConstantOfShapeOp>(op))
    return fillValue(constant);
  Value input = op->getOperand(0);
  if (auto trilu = dyn_cast<TriluOp>(op)) {
    if (index.size() < 2)
      return failure();
    if (!triluKeeps(trilu, index[index.size() - 2], index.back()))
      return 0.0;
    return elementAt(input, index);
  }
  FailureOr<SmallVector<int64_t>> inputShape = shapeOf(input);
  if (failed(inputShape))
    return failure();
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    SmallVector<int64_t> from(index.size());
    for (auto [d, p] : llvm::enumerate(transpose.getPermutation()))
      from[p] = index[d];
    return elementAt(input, from);
  }
  if (isa<ExpandOp, DynamicExpandOp>(op)) {
    if (inputShape->size() > index.size())
      return failure();
    return elementAt(input, broadcastIndex(*inputShape, index));
  }
  if (isa<SliceOp, DynamicSliceOp>(op)) {
    FailureOr<SliceWindow> window = sliceWindow(op, *inputShape);
    if (failed(window))
      return failure();
    SmallVector<int64_t> from(index.size());
    for (size_t d = 0; d < index.size(); ++d)
      from[d] = window->start[d] + index[d] * window->step[d];
    return elementAt(input, from);
  }
  // A reshape keeps the row-major order of the elements.
  int64_t offset = 0;
  for (auto [i, extent] : llvm::zip_equal(index, *shape))
    offset = offset * extent + i;
  SmallVector<int64_t> from(inputShape->size());
  for (int64_t d = int64_t(from.size()) - 1; d >= 0; --d) {
    from[d] = offset % (*inputShape)[d];
    offset /= (*inputShape)[d];
  }
  return elementAt(input, from);
}

FailureOr<EvalTensor> SliceEvaluator::compute(Operation *op, unsigned result) {
  // Operands first; every op here reads all of its operands.
  SmallVector<const EvalTensor *> in;
  if (!isa<ShapeOfOp>(op))
    for (Value operand : op->getOperands()) {
      FailureOr<const EvalTensor *> t = evaluate(operand);
      if (failed(t))
        return failure();
      in.push_back(*t);
    }
  Type resultType = op->getResult(result).getType();
  bool integer = isIntegerTensor(resultType);
  auto shapeFromType = [&]() { return extentsOf(resultType); };

  return llvm::TypeSwitch<Operation *, FailureOr<EvalTensor>>(op)
      .Case([&](ConstantOp c) -> FailureOr<EvalTensor> {
        std::optional<EvalTensor> t = readConstant(c);
        if (!t)
          return failure();
        return std::move(*t);
      })
      .Case([&](ShapeOfOp s) -> FailureOr<EvalTensor> {
        // The type's extents where it names them all; otherwise the
        // extents of the input's contents (for example a Range's).
        FailureOr<SmallVector<int64_t>> shape;
        if (auto it = values.find(s.getInput()); it != values.end())
          shape = it->second->shape;
        else
          shape = extentsOf(s.getInput().getType());
        if (failed(shape) &&
            !isa<FloatType>(s.getInput().getType().getElementType())) {
          FailureOr<const EvalTensor *> input = evaluate(s.getInput());
          if (failed(input))
            return failure();
          shape = (*input)->shape;
        }
        if (failed(shape))
          return failure(); // a float tensor of unknown extents
        EvalTensor out{{int64_t(shape->size())}, {}};
        for (int64_t e : *shape)
          out.data.push_back(e);
        return out;
      })
      .Case([&](IotaOp) -> FailureOr<EvalTensor> {
        FailureOr<SmallVector<int64_t>> shape = shapeFromType();
        if (failed(shape))
          return failure();
        EvalTensor out{*shape, {}};
        for (int64_t i = 0; i < (*shape)[0]; ++i)
          out.data.push_back(i);
        return out;
      })
      .Case([&](RangeOp) -> FailureOr<EvalTensor> {
        double start = in[0]->data[0], limit = in[1]->data[0],
               delta = in[2]->data[0];
        if (delta == 0)
          return failure();
        EvalTensor out{{0}, {}};
        int64_t n = std::max<int64_t>(0, std::ceil((limit - start) / delta));
        if (n > maxElements)
          return failure();
        for (int64_t i = 0; i < n; ++i)
          out.data.push_back(start + i * delta);
        out.shape[0] = n;
        return out;
      })
      .Case([&](ConstantOfShapeOp c) -> FailureOr<EvalTensor> {
        EvalTensor out;
        for (double e : in[0]->data)
          out.shape.push_back(static_cast<int64_t>(e));
        if (out.numElements() > maxElements)
          return failure();
        out.data.assign(out.numElements(), fillValue(c));
        return out;
      })
      .Case<ReshapeOp, DynamicReshapeOp>(
          [&](Operation *) -> FailureOr<EvalTensor> {
            FailureOr<SmallVector<int64_t>> shape = reshapedShape(
                op, in[0]->shape, isa<DynamicReshapeOp>(op) ? in[1] : nullptr);
            if (failed(shape))
              return failure();
            return EvalTensor{*shape, in[0]->data};
          })
      .Case<ExpandOp, DynamicExpandOp>(
          [&](Operation *) -> FailureOr<EvalTensor> {
            FailureOr<SmallVector<int64_t>> target = expandedShape(
                op, in[0]->shape, isa<DynamicExpandOp>(op) ? in[1] : nullptr);
            if (failed(target))
              return failure();
            EvalTensor shape{*target, {}};
            shape.data.assign(shape.numElements(), 0.0);
            const EvalTensor *pair[] = {in[0], &shape};
            return elementwise(pair, [](ArrayRef<double> a) { return a[0]; });
          })
      .Case([&](TransposeOp t) -> FailureOr<EvalTensor> {
        ArrayRef<int64_t> perm = t.getPermutation();
        SmallVector<int64_t> shape;
        for (int64_t p : perm)
          shape.push_back(in[0]->shape[p]);
        return rearrange(
            *in[0], shape,
            [&](ArrayRef<int64_t> index, SmallVector<int64_t> &from) {
              for (size_t d = 0; d < perm.size(); ++d)
                from[perm[d]] = index[d];
            });
      })
      .Case<SliceOp, DynamicSliceOp>([&](Operation *) -> FailureOr<EvalTensor> {
        FailureOr<SliceWindow> window = sliceWindow(op, in[0]->shape);
        if (failed(window))
          return failure();
        return rearrange(
            *in[0], window->shape,
            [&](ArrayRef<int64_t> index, SmallVector<int64_t> &from) {
              for (size_t d = 0; d < index.size(); ++d)
                from[d] = window->start[d] + index[d] * window->step[d];
            });
      })
      .Case([&](ConcatOp c) -> FailureOr<EvalTensor> {
        int64_t axis = c.getAxis();
        SmallVector<int64_t> shape(in[0]->shape);
        shape[axis] = 0;
        for (const EvalTensor *t : in)
          shape[axis] += t->shape[axis];
        EvalTensor out{shape, {}};
        out.data.reserve(out.numElements());
        forEachIndex(shape, [&](ArrayRef<int64_t> index) {
          SmallVector<int64_t> at(index);
          for (const EvalTensor *t : in) {
            if (at[axis] < t->shape[axis]) {
              out.data.push_back(t->at(at));
              return;
            }
            at[axis] -= t->shape[axis];
          }
        });
        return out;
      })
      .Case([&](SplitOp s) -> FailureOr<EvalTensor> {
        int64_t axis = s.getAxis(), offset = 0;
        SmallVector<int64_t> shape;
        for (unsigned i = 0; i <= result; ++i) {
          FailureOr<SmallVector<int64_t>> piece =
              extentsOf(s.getOutputs()[i].getType());
          if (failed(piece))
            return failure();
          if (i < result)
            offset += (*piece)[axis];
          shape = *piece;
        }
        return rearrange(
            *in[0], shape,
            [&](ArrayRef<int64_t> index, SmallVector<int64_t> &from) {
              from.assign(index.begin(), index.end());
              from[axis] += offset;
            });
      })
      .Case([&](GatherOp g) -> FailureOr<EvalTensor> {
        int64_t axis = g.getAxis(), extent = in[0]->shape[axis];
        SmallVector<int64_t> shape(in[0]->shape.begin(),
                                   in[0]->shape.begin() + axis);
        llvm::append_range(shape, in[1]->shape);
        shape.append(in[0]->shape.begin() + axis + 1, in[0]->shape.end());
        int64_t indexRank = in[1]->shape.size();
        bool inRange = llvm::all_of(in[1]->data, [&](double v) {
          int64_t i = normalizeIndex(v, extent);
          return i >= 0 && i < extent;
        });
        if (!inRange)
          return failure();
        return rearrange(
            *in[0], shape,
            [&](ArrayRef<int64_t> index, SmallVector<int64_t> &from) {
              for (int64_t d = 0; d < axis; ++d)
                from[d] = index[d];
              from[axis] = normalizeIndex(
                  in[1]->at(index.slice(axis, indexRank)), extent);
              for (size_t d = axis + 1; d < from.size(); ++d)
                from[d] = index[d - 1 + indexRank];
            });
      })
      .Case([&](GatherNdOp g) -> FailureOr<EvalTensor> {
        int64_t batch = g.getBatchDims();
        const EvalTensor &data = *in[0], &indices = *in[1];
        int64_t k = indices.shape.back();
        SmallVector<int64_t> shape(indices.shape.begin(),
                                   indices.shape.end() - 1);
        shape.append(data.shape.begin() + batch + k, data.shape.end());
        int64_t outer = indices.shape.size() - 1;
        bool failedIndex = false;
        EvalTensor out =
            rearrange(data, shape,
                      [&](ArrayRef<int64_t> index, SmallVector<int64_t> &from) {
                        for (int64_t d = 0; d < batch; ++d)
                          from[d] = index[d];
                        SmallVector<int64_t> tuple(index.take_front(outer));
                        tuple.push_back(0);
                        for (int64_t j = 0; j < k; ++j) {
                          tuple.back() = j;
                          int64_t extent = data.shape[batch + j];
                          int64_t i = normalizeIndex(indices.at(tuple), extent);
                          if (i < 0 || i >= extent) {
                            failedIndex = true;
                            i = 0;
                          }
                          from[batch + j] = i;
                        }
                        for (size_t d = batch + k; d < from.size(); ++d)
                          from[d] = index[outer + d - batch - k];
                      });
        if (failedIndex)
          return failure();
        return out;
      })
      .Case([&](ScatterNdOp scatter) -> FailureOr<EvalTensor> {
        const EvalTensor &data = *in[0], &indices = *in[1], &updates = *in[2];
        int64_t depth = indices.shape.back();
        int64_t slice = 1;
        for (size_t d = depth; d < data.shape.size(); ++d)
          slice *= data.shape[d];
        int64_t tuples = indices.numElements() / depth;
        if (updates.numElements() != tuples * slice)
          return failure();
        EvalTensor out = data;
        for (int64_t t = 0; t < tuples; ++t) {
          int64_t offset = 0;
          for (int64_t q = 0; q < depth; ++q) {
            int64_t extent = data.shape[q];
            int64_t i = normalizeIndex(indices.data[t * depth + q], extent);
            if (i < 0 || i >= extent)
              return failure();
            offset = offset * extent + i;
          }
          std::copy_n(updates.data.begin() + t * slice, slice,
                      out.data.begin() + offset * slice);
        }
        return out;
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>(
          [&](Operation *) -> FailureOr<EvalTensor> {
            ArrayRef<int64_t> axes;
            bool keep = false;
            if (auto r = dyn_cast<ReduceSumOp>(op))
              axes = r.getAxes(), keep = r.getKeepDims();
            else if (auto r = dyn_cast<ReduceMeanOp>(op))
              axes = r.getAxes(), keep = r.getKeepDims();
            else if (auto r = dyn_cast<ReduceMaxOp>(op))
              axes = r.getAxes(), keep = r.getKeepDims();
            const EvalTensor &x = *in[0];
            SmallVector<int64_t> kept(x.shape);
            int64_t reduced = 1;
            for (int64_t axis : axes) {
              reduced *= x.shape[axis];
              kept[axis] = 1;
            }
            EvalTensor out{kept, {}};
            bool isMax = isa<ReduceMaxOp>(op);
            out.data.assign(out.numElements(), isMax ? -INFINITY : 0.0);
            SmallVector<int64_t> keptStrides = stridesOf(kept);
            forEachIndex(x.shape, [&](ArrayRef<int64_t> index) {
              int64_t target = 0;
              for (size_t d = 0; d < index.size(); ++d)
                if (kept[d] != 1 || x.shape[d] == 1)
                  target += index[d] * keptStrides[d];
              double v = x.at(index);
              double &slot = out.data[target];
              slot = isMax ? std::max(slot, v) : slot + v;
            });
            if (isa<ReduceMeanOp>(op))
              for (double &v : out.data)
                v /= double(reduced);
            for (double &v : out.data)
              v = convertTo(resultType, v);
            if (!keep) {
              SmallVector<int64_t> shape;
              for (size_t d = 0; d < kept.size(); ++d)
                if (!llvm::is_contained(axes, int64_t(d)))
                  shape.push_back(kept[d]);
              out.shape = shape;
            }
            return out;
          })
      .Case([&](TriluOp t) -> FailureOr<EvalTensor> {
        EvalTensor out = *in[0];
        int64_t rank = out.shape.size();
        int64_t rows = out.shape[rank - 2], cols = out.shape[rank - 1];
        for (int64_t n = 0; n < out.numElements(); ++n)
          if (!triluKeeps(t, (n / cols) % rows, n % cols))
            out.data[n] = 0.0;
        return out;
      })
      .Case([&](CumSumOp c) -> FailureOr<EvalTensor> {
        EvalTensor out = *in[0];
        int64_t axis = c.getAxis(), extent = out.shape[axis];
        int64_t stride = stridesOf(out.shape)[axis];
        for (int64_t base = 0; base < out.numElements(); ++base) {
          if ((base / stride) % extent != 0)
            continue;
          double sum = 0;
          for (int64_t j = 0; j < extent; ++j) {
            int64_t pos = c.getReverse() ? extent - 1 - j : j;
            double v = in[0]->data[base + pos * stride];
            if (c.getExclusive()) {
              out.data[base + pos * stride] = sum;
              sum += v;
            } else {
              sum += v;
              out.data[base + pos * stride] = sum;
            }
          }
        }
        return out;
      })
      .Case([&](MatmulOp) -> FailureOr<EvalTensor> {
        const EvalTensor &a = *in[0], &b = *in[1];
        if (a.shape.size() < 2 || b.shape.size() < 2)
          return failure();
        int64_t m = a.shape[a.shape.size() - 2], k = a.shape.back();
        int64_t n = b.shape.back();
        if (b.shape[b.shape.size() - 2] != k)
          return failure();
        ArrayRef<int64_t> aBatch = ArrayRef(a.shape).drop_back(2),
                          bBatch = ArrayRef(b.shape).drop_back(2);
        ArrayRef<int64_t> batches[] = {aBatch, bBatch};
        FailureOr<SmallVector<int64_t>> batch = broadcastShapes(batches);
        if (failed(batch))
          return failure();
        SmallVector<int64_t> shape(*batch);
        shape.push_back(m);
        shape.push_back(n);
        EvalTensor out{shape, {}};
        if (out.numElements() > maxElements)
          return failure();
        SmallVector<int64_t> aStrides = stridesOf(aBatch),
                             bStrides = stridesOf(bBatch);
        forEachIndex(*batch, [&](ArrayRef<int64_t> index) {
          const double *pa =
              a.data.data() + broadcastOffset(aBatch, aStrides, index) * m * k;
          const double *pb =
              b.data.data() + broadcastOffset(bBatch, bStrides, index) * k * n;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double sum = 0;
              for (int64_t l = 0; l < k; ++l)
                sum += pa[i * k + l] * pb[l * n + j];
              out.data.push_back(convertTo(resultType, sum));
            }
        });
        return out;
      })
      .Case([&](DivOp) -> FailureOr<EvalTensor> {
        if (integer && llvm::is_contained(in[1]->data, 0.0))
          return failure();
        return elementwise(in, *scalarFunction(op));
      })
      .Default([&](Operation *) -> FailureOr<EvalTensor> {
        std::optional<ScalarFunction> f = scalarFunction(op);
        if (!f)
          return failure();
        return elementwise(in, *f);
      });
}

bool readsOnly(Value value, BlockArgument input, bool *readsInput) {
  SmallVector<Value> worklist{value};
  llvm::SmallPtrSet<Operation *, 16> seen;
  if (readsInput)
    *readsInput = false;
  while (!worklist.empty()) {
    Value next = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(next)) {
      if (!input || arg != input)
        return false;
      if (readsInput)
        *readsInput = true;
      continue;
    }
    Operation *op = next.getDefiningOp();
    if (!seen.insert(op).second || isa<ShapeOfOp>(op))
      continue;
    if (!isPure(op))
      return false;
    llvm::append_range(worklist, op->getOperands());
  }
  return true;
}

Value followScalarChain(Value value, SmallVectorImpl<Operation *> &chain) {
  while (value.hasOneUse()) {
    Operation *user = *value.user_begin();
    bool scalarWith =
        user->getNumResults() == 1 &&
        user->getResult(0).getType() == value.getType() &&
        scalarFunction(user).has_value() &&
        llvm::all_of(user->getOperands(), [&](Value operand) {
          auto type = dyn_cast<RankedTensorType>(operand.getType());
          return operand == value ||
                 (type && type.hasStaticShape() && type.getNumElements() == 1);
        });
    if (!scalarWith)
      break;
    chain.push_back(user);
    value = user->getResult(0);
  }
  return value;
}

std::optional<ScalarFunction> scalarFunction(Operation *op) {
  Type resultType = op->getResult(0).getType();
  bool integer = isIntegerTensor(resultType);
  auto unary = [&](auto f) -> ScalarFunction {
    return [=](ArrayRef<double> a) { return convertTo(resultType, f(a[0])); };
  };
  auto binary = [&](auto f) -> ScalarFunction {
    return [=](ArrayRef<double> a) {
      return convertTo(resultType, f(a[0], a[1]));
    };
  };
  return llvm::TypeSwitch<Operation *, std::optional<ScalarFunction>>(op)
      .Case([&](CompareOp c) -> ScalarFunction {
        CompareKind kind = c.getKind();
        return [kind](ArrayRef<double> a) -> double {
          switch (kind) {
          case CompareKind::eq:
            return a[0] == a[1];
          case CompareKind::ne:
            return a[0] != a[1];
          case CompareKind::lt:
            return a[0] < a[1];
          case CompareKind::le:
            return a[0] <= a[1];
          case CompareKind::gt:
            return a[0] > a[1];
          case CompareKind::ge:
            return a[0] >= a[1];
          }
          return 0.0;
        };
      })
      .Case([&](SelectOp) -> ScalarFunction {
        return [](ArrayRef<double> a) { return a[0] != 0 ? a[1] : a[2]; };
      })
      .Case([&](CastOp) { return unary([](double x) { return x; }); })
      .Case([&](AndOp) {
        return binary(
            [](double x, double y) { return double(x != 0 && y != 0); });
      })
      .Case([&](OrOp) {
        return binary(
            [](double x, double y) { return double(x != 0 || y != 0); });
      })
      .Case(
          [&](NotOp) { return unary([](double x) { return double(x == 0); }); })
      .Case([&](IsNanOp) {
        return unary([](double x) { return double(std::isnan(x)); });
      })
      .Case([&](AddOp) { return binary(std::plus<double>()); })
      .Case([&](SubOp) { return binary(std::minus<double>()); })
      .Case([&](MulOp) { return binary(std::multiplies<double>()); })
      .Case([&](DivOp) {
        return binary([integer](double x, double y) {
          return integer ? std::trunc(x / y) : x / y;
        });
      })
      .Case([&](PowOp) {
        return binary([](double x, double y) { return std::pow(x, y); });
      })
      .Case([&](MaxOp) {
        return binary([](double x, double y) { return std::max(x, y); });
      })
      .Case([&](MinOp) {
        return binary([](double x, double y) { return std::min(x, y); });
      })
      .Case([&](NegOp) { return unary([](double x) { return -x; }); })
      .Case([&](AbsOp) { return unary([](double x) { return std::abs(x); }); })
      .Case([&](ExpOp) { return unary([](double x) { return std::exp(x); }); })
      .Case(
          [&](SqrtOp) { return unary([](double x) { return std::sqrt(x); }); })
      .Case(
          [&](ReciprocalOp) { return unary([](double x) { return 1.0 / x; }); })
      .Case([&](CosOp) { return unary([](double x) { return std::cos(x); }); })
      .Case([&](SinOp) { return unary([](double x) { return std::sin(x); }); })
      .Case(
          [&](TanhOp) { return unary([](double x) { return std::tanh(x); }); })
      .Case([&](LogOp) { return unary([](double x) { return std::log(x); }); })
      .Case([&](RsqrtOp) {
        return unary([](double x) { return 1.0 / std::sqrt(x); });
      })
      .Case([&](SigmoidOp) {
        return unary([](double x) { return 1.0 / (1.0 + std::exp(-x)); });
      })
      .Default([](Operation *) { return std::nullopt; });
}

BlockArgument namedArgument(func::FuncOp function, StringRef name) {
  for (BlockArgument arg : function.getArguments())
    if (auto attr = function.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                          "llmc.onnx_name");
        attr && attr.getValue() == name)
      return arg;
  return BlockArgument();
}

SmallVector<StringAttr> argumentDimNames(func::FuncOp function) {
  llvm::SetVector<StringAttr> names;
  for (Type type : function.getArgumentTypes())
    if (auto tensor = dyn_cast<RankedTensorType>(type))
      for (const Dim &dim : getDims(tensor))
        if (dim.isNamed())
          names.insert(dim.getName());
  return names.takeVector();
}

} // namespace llmc
