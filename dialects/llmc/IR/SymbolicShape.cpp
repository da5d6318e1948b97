//===- SymbolicShape.cpp - static, named and unknown dimensions -----------===//

#include "dialects/llmc/IR/SymbolicShape.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace llmc {

Diagnostic &operator<<(Diagnostic &diag, const Dim &dim) {
  if (dim.isStatic())
    return diag << dim.getSize();
  if (dim.isNamed())
    return diag << "'" << dim.getName().getValue() << "'";
  return diag << "?";
}

DimList getDims(RankedTensorType type) {
  auto dims = dyn_cast_or_null<DimsAttr>(type.getEncoding());
  DimList result;
  unsigned nextName = 0;
  for (int64_t size : type.getShape()) {
    if (!ShapedType::isDynamic(size)) {
      result.push_back(Dim::fixed(size));
      continue;
    }
    StringAttr name;
    if (dims && nextName < dims.getNames().size())
      name = dims.getNames()[nextName++];
    result.push_back(name && !name.getValue().empty() ? Dim::named(name)
                                                      : Dim::unknown());
  }
  return result;
}

RankedTensorType buildTensorType(ArrayRef<Dim> dims, Type elementType) {
  SmallVector<int64_t> shape;
  SmallVector<StringAttr> names;
  bool anyNamed = false;
  MLIRContext *ctx = elementType.getContext();
  for (const Dim &dim : dims) {
    shape.push_back(dim.getSize());
    if (dim.isStatic())
      continue;
    anyNamed |= dim.isNamed();
    names.push_back(dim.isNamed() ? dim.getName() : StringAttr::get(ctx, ""));
  }
  Attribute encoding = anyNamed ? DimsAttr::get(ctx, names) : Attribute();
  return RankedTensorType::get(shape, elementType, encoding);
}

FailureOr<DimList> broadcastDims(ArrayRef<Dim> lhs, ArrayRef<Dim> rhs,
                                 std::optional<Location> loc) {
  size_t rank = std::max(lhs.size(), rhs.size());
  DimList result(rank, Dim::fixed(1));
  for (size_t i = 0; i < rank; ++i) {
    Dim a = i < lhs.size() ? lhs[lhs.size() - 1 - i] : Dim::fixed(1);
    Dim b = i < rhs.size() ? rhs[rhs.size() - 1 - i] : Dim::fixed(1);
    Dim &out = result[rank - 1 - i];
    if (a == b || b == Dim::fixed(1)) {
      out = a;
    } else if (a == Dim::fixed(1)) {
      out = b;
    } else if (a.isUnknown() && b.isStatic()) {
      out = b;
    } else if (b.isUnknown() && a.isStatic()) {
      out = a;
    } else if (a.isUnknown() || b.isUnknown()) {
      out = Dim::unknown();
    } else {
      if (loc)
        emitError(*loc) << "cannot broadcast dimension " << a << " against "
                        << b;
      return failure();
    }
  }
  return result;
}

bool refinesDims(ArrayRef<Dim> declared, ArrayRef<Dim> inferred) {
  if (declared.size() != inferred.size())
    return false;
  for (auto [d, i] : llvm::zip_equal(declared, inferred)) {
    if (d == i)
      continue;
    if (!(i.isUnknown() && !d.isStatic()))
      return false;
  }
  return true;
}

bool areCompatibleResultTypes(TypeRange inferred, TypeRange declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [i, d] : llvm::zip_equal(inferred, declared)) {
    if (i == d)
      continue;
    auto inferredTensor = dyn_cast<RankedTensorType>(i);
    auto declaredTensor = dyn_cast<RankedTensorType>(d);
    if (!inferredTensor || !declaredTensor ||
        inferredTensor.getElementType() != declaredTensor.getElementType() ||
        !refinesDims(getDims(declaredTensor), getDims(inferredTensor)))
      return false;
  }
  return true;
}

FailureOr<DimList> resolveReshape(ArrayRef<Dim> input, ArrayRef<Dim> shape,
                                  bool allowZero, std::optional<Location> loc) {
  DimList dims;
  int inferred = -1;
  for (auto [index, entry] : llvm::enumerate(shape)) {
    if (!entry.isStatic()) {
      dims.push_back(entry);
    } else if (entry.getSize() == -1) {
      if (inferred >= 0)
        return emitOptionalError(loc, "reshape: more than one -1 in the shape");
      inferred = index;
      dims.push_back(Dim::unknown());
    } else if (entry.getSize() == 0 && !allowZero) {
      if (index >= input.size())
        return emitOptionalError(loc, "reshape: shape entry ", index,
                                 " copies a dimension the input lacks");
      dims.push_back(input[index]);
    } else if (entry.getSize() < 0) {
      return emitOptionalError(loc, "reshape: invalid shape entry ",
                               entry.getSize());
    } else {
      dims.push_back(entry);
    }
  }
  if (inferred < 0)
    return dims;
  int64_t inputProduct = 1, targetProduct = 1;
  SmallVector<StringAttr> names;
  for (const Dim &dim : input) {
    if (dim.isUnknown())
      return dims;
    if (dim.isStatic())
      inputProduct *= dim.getSize();
    else
      names.push_back(dim.getName());
  }
  for (const Dim &dim : dims) {
    if (dim.isUnknown())
      continue;
    if (dim.isStatic()) {
      targetProduct *= dim.getSize();
      continue;
    }
    auto it = llvm::find(names, dim.getName());
    if (it == names.end())
      return dims;
    names.erase(it);
  }
  if (targetProduct == 0 || inputProduct % targetProduct != 0)
    return emitOptionalError(loc, "reshape: ", inputProduct,
                             " static elements do not divide into ",
                             targetProduct);
  int64_t remainder = inputProduct / targetProduct;
  if (names.empty())
    dims[inferred] = Dim::fixed(remainder);
  else if (names.size() == 1 && remainder == 1)
    dims[inferred] = Dim::named(names.front());
  return dims;
}

LogicalResult inferElementwiseResult(std::optional<Location> loc,
                                     ValueRange operands,
                                     SmallVectorImpl<Type> &inferred) {
  if (operands.empty())
    return failure();
  Type elementType = getElementTypeOrSelf(operands.front().getType());
  DimList dims;
  for (Value operand : operands) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type)
      return emitOptionalError(loc, "expected ranked tensor operands");
    if (type.getElementType() != elementType)
      return emitOptionalError(loc,
                               "operand element types differ: ", elementType,
                               " vs ", type.getElementType());
    FailureOr<DimList> broadcast = broadcastDims(dims, getDims(type), loc);
    if (failed(broadcast))
      return failure();
    dims = std::move(*broadcast);
  }
  inferred.push_back(buildTensorType(dims, elementType));
  return success();
}

LogicalResult inferReductionResult(std::optional<Location> loc, Value input,
                                   ArrayRef<int64_t> axes, bool keepDims,
                                   SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type)
    return emitOptionalError(loc, "expected a ranked tensor input");
  if (axes.empty())
    return emitOptionalError(loc, "expected at least one axis");
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= type.getRank())
      return emitOptionalError(loc, "axis ", axes[i],
                               " is out of range for rank ", type.getRank());
    if (i > 0 && axes[i] <= axes[i - 1])
      return emitOptionalError(loc, "axes must be strictly increasing");
  }
  DimList dims;
  for (auto [index, dim] : llvm::enumerate(getDims(type))) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(index)))
      dims.push_back(dim);
    else if (keepDims)
      dims.push_back(Dim::fixed(1));
  }
  inferred.push_back(buildTensorType(dims, type.getElementType()));
  return success();
}

SmallVector<int64_t> evenSplitSizes(int64_t extent, int64_t outputs) {
  int64_t piece = (extent + outputs - 1) / outputs;
  SmallVector<int64_t> sizes;
  for (int64_t i = 0; i < outputs; ++i)
    sizes.push_back(std::max<int64_t>(0, std::min(piece, extent - i * piece)));
  return sizes;
}

Dim addDims(const Dim &a, const Dim &b) {
  if (a.isStatic() && b.isStatic())
    return Dim::fixed(a.getSize() + b.getSize());
  if (a == Dim::fixed(0))
    return b;
  if (b == Dim::fixed(0))
    return a;
  if (a.isNamed() && b.isNamed())
    return Dim::named(mlir::StringAttr::get(a.getName().getContext(),
                                            a.getName().getValue() + " + " +
                                                b.getName().getValue()));
  return Dim::unknown();
}

Dim subtractDims(const Dim &total, const Dim &part) {
  if (total.isStatic() && part.isStatic())
    return Dim::fixed(total.getSize() - part.getSize());
  if (part == Dim::fixed(0))
    return total;
  if (!total.isNamed() || !part.isNamed())
    return Dim::unknown();
  auto [first, second] = total.getName().getValue().split(" + ");
  StringRef term = part.getName().getValue();
  if (second.empty() || (first != term && second != term))
    return Dim::unknown();
  return Dim::named(mlir::StringAttr::get(total.getName().getContext(),
                                          first == term ? second : first));
}

RankedTensorType withDim(Type type, int64_t dim, int64_t size) {
  auto tensor = cast<RankedTensorType>(type);
  if (dim < 0)
    dim += tensor.getRank();
  SmallVector<int64_t> shape(tensor.getShape());
  shape[dim] = size;
  return RankedTensorType::get(shape, tensor.getElementType(),
                               tensor.getEncoding());
}

} // namespace llmc
