//===- ShapeValues.cpp - what exporter shape arithmetic computes ----------===//

#include "passes/analysis/ShapeValues.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace llmc {

namespace {
constexpr unsigned kMaxDepth = 64;

std::optional<DimList> evaluate(Value value, unsigned depth);

std::optional<SmallVector<int64_t>> staticInts(Value value, unsigned depth) {
  std::optional<DimList> dims = evaluate(value, depth);
  if (!dims)
    return std::nullopt;
  SmallVector<int64_t> ints;
  for (const Dim &dim : *dims) {
    if (!dim.isStatic())
      return std::nullopt;
    ints.push_back(dim.getSize());
  }
  return ints;
}

/// Elementwise combination with broadcasting of length-1 operands.
template <typename Fn>
std::optional<DimList> combine(Value lhs, Value rhs, unsigned depth, Fn fn) {
  std::optional<DimList> a = evaluate(lhs, depth), b = evaluate(rhs, depth);
  if (!a || !b || (a->size() != b->size() && a->size() != 1 && b->size() != 1))
    return std::nullopt;
  DimList result;
  for (size_t i = 0, e = std::max(a->size(), b->size()); i < e; ++i)
    result.push_back(
        fn((*a)[a->size() == 1 ? 0 : i], (*b)[b->size() == 1 ? 0 : i]));
  return result;
}

Dim arithmetic(const Dim &a, const Dim &b, char op) {
  if (a.isStatic() && b.isStatic()) {
    int64_t x = a.getSize(), y = b.getSize();
    switch (op) {
    case '+':
      return Dim::fixed(x + y);
    case '-':
      return Dim::fixed(x - y);
    case '*':
      return Dim::fixed(x * y);
    default:
      return y == 0 ? Dim::unknown() : Dim::fixed(x / y);
    }
  }
  bool identity = b.isStatic() && ((op == '+' || op == '-') ? b.getSize() == 0
                                                            : b.getSize() == 1);
  if (identity)
    return a;
  if (op == '*' && a == Dim::fixed(1))
    return b;
  if (op == '+' && a == Dim::fixed(0))
    return b;
  // Named extents add up to the name optimum gives a cache after appending
  // ("past_sequence_length + sequence_length"), and such a sum less one of
  // its terms is the other.
  if (op == '+' && a.isNamed() && b.isNamed())
    return addDims(a, b);
  if (op == '-' && a.isNamed() && b.isNamed())
    return subtractDims(a, b);
  return Dim::unknown();
}

/// Comparison of two extents; extents are never negative, so a named extent
/// differs from any negative constant (exporters compare shapes with -1).
Dim compare(const Dim &a, const Dim &b, CompareKind kind) {
  std::optional<bool> equal;
  if (a.isStatic() && b.isStatic())
    equal = a.getSize() == b.getSize();
  else if (a.isNamed() && a == b)
    equal = true;
  else if ((a.isNamed() && b.isStatic() && b.getSize() < 0) ||
           (b.isNamed() && a.isStatic() && a.getSize() < 0))
    equal = false;
  if (kind == CompareKind::eq && equal)
    return Dim::fixed(*equal);
  if (kind == CompareKind::ne && equal)
    return Dim::fixed(!*equal);
  if (a.isStatic() && b.isStatic()) {
    int64_t x = a.getSize(), y = b.getSize();
    switch (kind) {
    case CompareKind::lt:
      return Dim::fixed(x < y);
    case CompareKind::le:
      return Dim::fixed(x <= y);
    case CompareKind::gt:
      return Dim::fixed(x > y);
    case CompareKind::ge:
      return Dim::fixed(x >= y);
    default:
      break;
    }
  }
  return Dim::unknown();
}

std::optional<DimList> evaluate(Value value, unsigned depth) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() > 1 || depth > kMaxDepth ||
      !type.getElementType().isIntOrIndex())
    return std::nullopt;
  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt;
  ++depth;
  return TypeSwitch<Operation *, std::optional<DimList>>(op)
      .Case([&](ConstantOp constant) -> std::optional<DimList> {
        auto dense = dyn_cast<DenseIntElementsAttr>(constant.getValue());
        if (!dense)
          return std::nullopt;
        DimList dims;
        for (const APInt &v : dense.getValues<APInt>())
          dims.push_back(Dim::fixed(dense.getElementType().isInteger(1)
                                        ? int64_t(v.getZExtValue())
                                        : v.getSExtValue()));
        return dims;
      })
      .Case([&](ShapeOfOp shape) -> std::optional<DimList> {
        return getDims(shape.getInput().getType());
      })
      .Case([&](CastOp cast) { return evaluate(cast.getInput(), depth); })
      .Case([&](ReshapeOp reshape) -> std::optional<DimList> {
        std::optional<DimList> dims = evaluate(reshape.getInput(), depth);
        if (!dims || !reshape.getType().hasStaticShape() ||
            int64_t(dims->size()) != reshape.getType().getNumElements())
          return std::nullopt;
        return dims;
      })
      .Case([&](GatherOp gather) -> std::optional<DimList> {
        std::optional<DimList> data = evaluate(gather.getData(), depth);
        std::optional<SmallVector<int64_t>> indices =
            staticInts(gather.getIndices(), depth);
        if (!data || !indices || gather.getAxis() != 0 ||
            gather.getData().getType().getRank() != 1)
          return std::nullopt;
        DimList dims;
        int64_t size = data->size();
        for (int64_t index : *indices) {
          if (index < -size || index >= size)
            return std::nullopt;
          dims.push_back((*data)[index < 0 ? index + size : index]);
        }
        return dims;
      })
      .Case([&](ConcatOp concat) -> std::optional<DimList> {
        DimList dims;
        for (Value input : concat.getInputs()) {
          std::optional<DimList> part = evaluate(input, depth);
          if (!part)
            return std::nullopt;
          dims.append(part->begin(), part->end());
        }
        return dims;
      })
      .Case([&](SliceOp slice) -> std::optional<DimList> {
        std::optional<DimList> data = evaluate(slice.getInput(), depth);
        if (!data || slice.getType().getRank() != 1 ||
            slice.getType().isDynamicDim(0))
          return std::nullopt;
        DimList dims;
        for (int64_t i = 0; i < slice.getType().getDimSize(0); ++i) {
          int64_t start = slice.getOffsets()[0];
          if (start < 0)
            start += int64_t(data->size());
          int64_t index = start + i * slice.getStrides()[0];
          if (index < 0 || index >= int64_t(data->size()))
            return std::nullopt;
          dims.push_back((*data)[index]);
        }
        return dims;
      })
      .Case([&](DynamicSliceOp slice) -> std::optional<DimList> {
        std::optional<DimList> data = evaluate(slice.getInput(), depth);
        auto starts = staticInts(slice.getStarts(), depth);
        auto ends = staticInts(slice.getEnds(), depth);
        auto axes = staticInts(slice.getAxes(), depth);
        auto steps = staticInts(slice.getSteps(), depth);
        if (!data || !starts || !ends || !axes || !steps ||
            starts->size() != 1 || (*axes)[0] != 0 || (*steps)[0] != 1)
          return std::nullopt;
        int64_t size = data->size();
        int64_t start = (*starts)[0], end = (*ends)[0];
        start = std::clamp(start < 0 ? start + size : start, int64_t(0), size);
        end = std::clamp(end < 0 ? end + size : end, int64_t(0), size);
        return DimList(data->begin() + start,
                       data->begin() + std::max(start, end));
      })
      .Case([&](AddOp add) {
        return combine(add.getLhs(), add.getRhs(), depth,
                       [](Dim a, Dim b) { return arithmetic(a, b, '+'); });
      })
      .Case([&](SubOp sub) {
        return combine(sub.getLhs(), sub.getRhs(), depth,
                       [](Dim a, Dim b) { return arithmetic(a, b, '-'); });
      })
      .Case([&](MulOp mul) {
        return combine(mul.getLhs(), mul.getRhs(), depth,
                       [](Dim a, Dim b) { return arithmetic(a, b, '*'); });
      })
      .Case([&](DivOp div) {
        return combine(div.getLhs(), div.getRhs(), depth,
                       [](Dim a, Dim b) { return arithmetic(a, b, '/'); });
      })
      .Case([&](CompareOp cmp) {
        CompareKind kind = cmp.getKind();
        return combine(cmp.getLhs(), cmp.getRhs(), depth,
                       [kind](Dim a, Dim b) { return compare(a, b, kind); });
      })
      .Case([&](SelectOp select) -> std::optional<DimList> {
        std::optional<DimList> condition =
            evaluate(select.getCondition(), depth);
        std::optional<DimList> onTrue = evaluate(select.getOnTrue(), depth);
        std::optional<DimList> onFalse = evaluate(select.getOnFalse(), depth);
        if (!condition || !onTrue || !onFalse)
          return std::nullopt;
        size_t size =
            std::max({condition->size(), onTrue->size(), onFalse->size()});
        auto at = [](const DimList &list, size_t i) {
          return list[list.size() == 1 ? 0 : i];
        };
        DimList dims;
        for (size_t i = 0; i < size; ++i) {
          Dim c = at(*condition, i);
          if (!c.isStatic())
            dims.push_back(Dim::unknown());
          else
            dims.push_back(c.getSize() ? at(*onTrue, i) : at(*onFalse, i));
        }
        return dims;
      })
      .Case([&](ConstantOfShapeOp fill) -> std::optional<DimList> {
        std::optional<SmallVector<int64_t>> shape =
            staticInts(fill.getShape(), depth);
        auto value = dyn_cast<DenseIntElementsAttr>(fill.getValue());
        if (!shape || shape->size() != 1 || !value)
          return std::nullopt;
        return DimList(
            (*shape)[0],
            Dim::fixed((*value.getValues<APInt>().begin()).getSExtValue()));
      })
      .Default([](Operation *) { return std::nullopt; });
}

} // namespace

std::optional<DimList> evaluateShapeValue(Value value) {
  return evaluate(value, 0);
}

std::optional<SmallVector<int64_t>> evaluateStaticInts(Value value) {
  return staticInts(value, 0);
}

} // namespace llmc
