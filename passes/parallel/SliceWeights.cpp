//===- SliceWeights.cpp - a rank's part of a weight -----------------------===//

#include "passes/parallel/SliceWeights.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "passes/quant/QuantTargets.h"

#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace llmc::parallel {

int64_t extentOf(const Ranges &ranges) {
  int64_t extent = 0;
  for (auto [begin, end] : ranges)
    extent += begin == kPadding ? end : end - begin;
  return extent;
}

namespace {

/// Bytes of one stored element: 4-bit codes take a byte each.
int64_t storedBytes(Type element) {
  return (int64_t(element.getIntOrFloatBitWidth()) + 7) / 8;
}

std::string describe(int dim, const Ranges &ranges) {
  std::string text = std::to_string(dim) + ":";
  for (auto [begin, end] : ranges)
    text += std::to_string(begin) + "-" + std::to_string(end) + ",";
  return text;
}

} // namespace

FailureOr<Attribute> WeightSlicer::cut(Operation *op, Attribute source,
                                       RankedTensorType type, int dim,
                                       const Ranges &ranges) {
  auto key = std::make_pair(source.getAsOpaquePointer(), describe(dim, ranges));
  if (auto found = made_.find(key); found != made_.end())
    return found->second;
  SmallVector<int64_t> shape(type.getShape());
  for (auto [begin, end] : ranges)
    if (begin != kPadding && (begin < 0 || end > shape[dim] || begin >= end))
      return op->emitError() << pass_ << ": rows " << begin << ".." << end
                             << " are outside the " << shape[dim]
                             << " of dimension " << dim << " of " << type;
  shape[dim] = extentOf(ranges);
  auto result = RankedTensorType::get(shape, type.getElementType());
  Attribute made;
  const bool padded = llvm::any_of(ranges, [](std::pair<int64_t, int64_t> r) {
    return r.first == kPadding;
  });
  if (auto dense = dyn_cast<DenseElementsAttr>(source);
      dense && dense.isSplat() && !padded) {
    made = dense.resizeSplat(result);
  } else {
    std::optional<ArrayRef<char>> raw = getRawConstantData(source);
    const int64_t element = storedBytes(type.getElementType());
    // A splat cut with padding: its every element, then cut as any data.
    std::vector<char> splat;
    if (auto dense = dyn_cast<DenseElementsAttr>(source);
        !raw && dense && dense.isSplat() &&
        !dense.getElementType().isInteger(1)) {
      ArrayRef<char> one = dense.getRawData();
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        splat.insert(splat.end(), one.begin(), one.begin() + element);
      raw = ArrayRef<char>(splat);
    }
    if (!raw || int64_t(raw->size()) != type.getNumElements() * element)
      return op->emitError()
             << pass_ << ": the data of " << type << " is not available to cut";
    // Rows of `inner` bytes: dim 0 of a matrix, or the elements of a
    // vector; within a row, columns of `element` bytes.
    const int64_t columns = type.getRank() == 2 ? type.getDimSize(1) : 1;
    std::vector<char> bytes;
    bytes.reserve(result.getNumElements() * element);
    if (dim == 0) {
      const int64_t row = columns * element;
      for (auto [begin, end] : ranges)
        if (begin == kPadding)
          bytes.insert(bytes.end(), end * row, 0);
        else
          bytes.insert(bytes.end(), raw->begin() + begin * row,
                       raw->begin() + end * row);
    } else {
      for (int64_t r = 0; r < type.getDimSize(0); ++r)
        for (auto [begin, end] : ranges)
          if (begin == kPadding)
            bytes.insert(bytes.end(), end * element, 0);
          else
            bytes.insert(bytes.end(),
                         raw->begin() + (r * columns + begin) * element,
                         raw->begin() + (r * columns + end) * element);
    }
    std::string name = "weight";
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(source))
      name = resource.getRawHandle().getKey().str();
    made = makeResourceAttr(result, name + ".shard", bytes, alignof(uint64_t));
  }
  made_[key] = made;
  return made;
}

LogicalResult WeightSlicer::slice(OpOperand &operand, Axis axis,
                                  const Ranges &ranges) {
  Operation *op = operand.getOwner();
  Value weight = operand.get();
  OpBuilder b(op);
  Location loc = weight.getLoc();
  if (auto q = weight.getDefiningOp<QConstantOp>()) {
    auto type = cast<QWeightType>(q.getType());
    const int64_t extent = extentOf(ranges);
    SmallVector<int64_t> shape(type.getShape());
    const bool grouped = type.getGranularity() == QuantGranularity::group;
    Ranges scaleRanges;
    if (axis == Axis::in) {
      const int64_t group = type.getInputsPerScale();
      for (auto [begin, end] : ranges) {
        if (grouped && (begin % group != 0 || end % group != 0))
          return op->emitError()
                 << pass_ << ": input features " << begin << ".." << end
                 << " of " << type << " split its groups of " << group
                 << ": the group size must divide each rank's share";
        scaleRanges.push_back({begin / group, end / group});
      }
      shape[1] = extent;
    } else {
      scaleRanges = ranges;
      shape[0] = extent;
    }
    const int dim = axis == Axis::out ? 0 : 1;
    FailureOr<Attribute> data =
        cut(op, q.getData(), type.getDataTensorType(), dim, ranges);
    if (failed(data))
      return failure();
    // Per tensor, the one scale stays; per channel, scales follow the rows
    // only; in groups, rows and groups.
    auto scalesOf = [&](ElementsAttr attr,
                        RankedTensorType attrType) -> FailureOr<Attribute> {
      if (!attr || type.getGranularity() == QuantGranularity::per_tensor ||
          (axis == Axis::in && !grouped))
        return Attribute(attr);
      return cut(op, attr, attrType, dim, scaleRanges);
    };
    FailureOr<Attribute> scales =
        scalesOf(q.getScales(), type.getScalesTensorType());
    FailureOr<Attribute> zeros =
        scalesOf(q.getZerosAttr(), type.getZerosTensorType());
    if (failed(scales) || failed(zeros))
      return failure();
    auto sliced = QWeightType::get(
        type.getContext(), shape, type.getStorageType(), type.getGranularity(),
        type.getGroupSize(), type.getScaleType(), type.getZeroType());
    operand.set(QConstantOp::create(b, loc, sliced, cast<ElementsAttr>(*data),
                                    cast<ElementsAttr>(*scales),
                                    cast_or_null<ElementsAttr>(*zeros)));
    return success();
  }
  std::optional<std::pair<ConstantOp, bool>> source =
      quant::constantBehind(weight);
  if (!source)
    return op->emitError() << pass_
                           << ": the weight is not a constant (or the [1, 0] "
                              "transpose of one), so it cannot be cut";
  auto [constant, transposed] = *source;
  auto type = cast<RankedTensorType>(constant.getType());
  if (type.getRank() != 2 || !type.hasStaticShape())
    return op->emitError() << pass_ << ": a weight of " << type
                           << " is not a static matrix";
  const int dim = (axis == Axis::out) != transposed ? 0 : 1;
  FailureOr<Attribute> attr = cut(op, constant.getValue(), type, dim, ranges);
  if (failed(attr))
    return failure();
  Value made = ConstantOp::create(b, loc, cast<ElementsAttr>(*attr));
  if (transposed)
    made = TransposeOp::create(b, loc, made, b.getDenseI64ArrayAttr({1, 0}));
  operand.set(made);
  return success();
}

LogicalResult WeightSlicer::sliceVector(OpOperand &operand,
                                        const Ranges &ranges) {
  Operation *op = operand.getOwner();
  Value vector = operand.get();
  auto constant = vector.getDefiningOp<ConstantOp>();
  auto type = cast<RankedTensorType>(vector.getType());
  if (!constant || type.getRank() != 1 || !type.hasStaticShape())
    return op->emitError() << pass_ << ": a bias of " << type
                           << " that is not a constant vector cannot be cut";
  FailureOr<Attribute> attr = cut(op, constant.getValue(), type, 0, ranges);
  if (failed(attr))
    return failure();
  OpBuilder b(op);
  operand.set(
      ConstantOp::create(b, vector.getLoc(), cast<ElementsAttr>(*attr)));
  return success();
}

} // namespace llmc::parallel
