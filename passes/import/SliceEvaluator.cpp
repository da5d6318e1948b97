//===- SliceEvaluator.cpp - reference interpreter for small subgraphs -----===//

#include "passes/import/SliceEvaluator.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"

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
broadcastShapes(ArrayRef<const EvalTensor *> in) {
  size_t rank = 0;
  for (const EvalTensor *t : in)
    rank = std::max(rank, t->shape.size());
  SmallVector<int64_t> shape(rank, 1);
  for (const EvalTensor *t : in)
    for (size_t d = 0; d < t->shape.size(); ++d) {
      int64_t &out = shape[rank - t->shape.size() + d];
      int64_t extent = t->shape[d];
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
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(in);
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
  auto unary = [&](auto f) {
    return elementwise(
        in, [&](ArrayRef<double> a) { return convertTo(resultType, f(a[0])); });
  };
  auto binary = [&](auto f) {
    return elementwise(in, [&](ArrayRef<double> a) {
      return convertTo(resultType, f(a[0], a[1]));
    });
  };
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
        double fill = 0;
        if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
          if (isa<FloatType>(dense.getElementType()))
            fill = (*dense.getValues<APFloat>().begin()).convertToDouble();
          else if (dense.getElementType().isInteger(1))
            fill = *dense.getValues<bool>().begin();
          else
            fill = (*dense.getValues<APInt>().begin()).getSExtValue();
        } else if (auto f = dyn_cast<FloatAttr>(c.getValue())) {
          fill = f.getValueAsDouble();
        } else if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
          fill = i.getValue().getSExtValue();
        }
        out.data.assign(out.numElements(), fill);
        return out;
      })
      .Case<ReshapeOp, DynamicReshapeOp>(
          [&](Operation *) -> FailureOr<EvalTensor> {
            // The result type gives the shape; one unknown extent follows from
            // the element count (so does a computed shape's -1).
            auto type = cast<RankedTensorType>(resultType);
            SmallVector<int64_t> shape;
            int64_t known = 1, unknownAt = -1;
            for (auto [d, dim] : llvm::enumerate(getDims(type))) {
              int64_t extent = -1;
              if (dim.isStatic())
                extent = dim.getSize();
              else if (dim.isNamed()) {
                FailureOr<int64_t> e = extentOf(dim.getName().getValue());
                if (succeeded(e))
                  extent = *e;
              }
              if (extent < 0 && isa<DynamicReshapeOp>(op)) {
                double entry = in[1]->data[d];
                extent = entry == 0 ? in[0]->shape[d] : int64_t(entry);
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
            if (unknownAt >= 0) {
              if (known == 0 || in[0]->numElements() % known != 0)
                return failure();
              shape[unknownAt] = in[0]->numElements() / known;
            }
            EvalTensor out{shape, in[0]->data};
            if (out.numElements() != in[0]->numElements())
              return failure();
            return out;
          })
      .Case<ExpandOp, DynamicExpandOp>(
          [&](Operation *) -> FailureOr<EvalTensor> {
            SmallVector<int64_t> target;
            if (isa<DynamicExpandOp>(op)) {
              for (double e : in[1]->data)
                target.push_back(int64_t(e));
            } else {
              FailureOr<SmallVector<int64_t>> shape = shapeFromType();
              if (failed(shape))
                return failure();
              target = *shape;
            }
            EvalTensor shape{target, std::vector<double>(1, 0.0)};
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
      .Case([&](SliceOp s) -> FailureOr<EvalTensor> {
        FailureOr<SmallVector<int64_t>> shape = shapeFromType();
        if (failed(shape))
          return failure();
        SmallVector<int64_t> offsets(s.getOffsets());
        ArrayRef<int64_t> strides = s.getStrides();
        for (size_t d = 0; d < offsets.size(); ++d)
          if (offsets[d] < 0)
            offsets[d] += in[0]->shape[d];
        for (size_t d = 0; d < shape->size(); ++d)
          if ((*shape)[d] > 0 &&
              (offsets[d] + ((*shape)[d] - 1) * strides[d] >= in[0]->shape[d] ||
               offsets[d] + ((*shape)[d] - 1) * strides[d] < 0))
            return failure();
        return rearrange(
            *in[0], *shape,
            [&](ArrayRef<int64_t> index, SmallVector<int64_t> &from) {
              for (size_t d = 0; d < index.size(); ++d)
                from[d] = offsets[d] + index[d] * strides[d];
            });
      })
      .Case([&](DynamicSliceOp) -> FailureOr<EvalTensor> {
        int64_t rank = in[0]->shape.size();
        SmallVector<int64_t> start(rank, 0), step(rank, 1), shape(in[0]->shape);
        for (size_t i = 0; i < in[3]->data.size(); ++i) {
          int64_t axis = normalizeIndex(in[3]->data[i], rank);
          if (axis < 0 || axis >= rank)
            return failure();
          int64_t st = in[4]->data[i];
          if (st == 0)
            return failure();
          auto clampInt = [](double v) {
            return int64_t(std::max(-9.0e18, std::min(9.0e18, v)));
          };
          auto [first, count] =
              sliceBounds(clampInt(in[1]->data[i]), clampInt(in[2]->data[i]),
                          st, in[0]->shape[axis]);
          start[axis] = first;
          step[axis] = st;
          shape[axis] = count;
        }
        return rearrange(
            *in[0], shape,
            [&](ArrayRef<int64_t> index, SmallVector<int64_t> &from) {
              for (int64_t d = 0; d < rank; ++d)
                from[d] = start[d] + index[d] * step[d];
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
        int64_t k = t.getK();
        for (int64_t n = 0; n < out.numElements(); ++n) {
          int64_t j = n % cols, i = (n / cols) % rows;
          bool keep = t.getUpper() ? j - i >= k : j - i <= k;
          if (!keep)
            out.data[n] = 0.0;
        }
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
        EvalTensor aBatch{
            SmallVector<int64_t>(a.shape.begin(), a.shape.end() - 2), {}};
        EvalTensor bBatch{
            SmallVector<int64_t>(b.shape.begin(), b.shape.end() - 2), {}};
        const EvalTensor *batches[] = {&aBatch, &bBatch};
        FailureOr<SmallVector<int64_t>> batch = broadcastShapes(batches);
        if (failed(batch))
          return failure();
        SmallVector<int64_t> shape(*batch);
        shape.push_back(m);
        shape.push_back(n);
        EvalTensor out{shape, {}};
        if (out.numElements() > maxElements)
          return failure();
        SmallVector<int64_t> aStrides = stridesOf(aBatch.shape),
                             bStrides = stridesOf(bBatch.shape);
        forEachIndex(*batch, [&](ArrayRef<int64_t> index) {
          const double *pa =
              a.data.data() +
              broadcastOffset(aBatch.shape, aStrides, index) * m * k;
          const double *pb =
              b.data.data() +
              broadcastOffset(bBatch.shape, bStrides, index) * k * n;
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
      .Case([&](CompareOp c) {
        CompareKind kind = c.getKind();
        return elementwise(in, [&](ArrayRef<double> a) -> double {
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
        });
      })
      .Case([&](SelectOp) {
        return elementwise(
            in, [](ArrayRef<double> a) { return a[0] != 0 ? a[1] : a[2]; });
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
      .Case([&](DivOp) -> FailureOr<EvalTensor> {
        if (integer && llvm::is_contained(in[1]->data, 0.0))
          return failure();
        return binary([&](double x, double y) {
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
      .Default([](Operation *) { return failure(); });
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
