//===- PlanOps.cpp - the plan dialect's registration and verifiers --------===//

#include "dialects/plan/IR/PlanOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace llmc::plan;

#include "dialects/plan/IR/PlanDialect.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/plan/IR/PlanOps.cpp.inc"

void PlanDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/plan/IR/PlanOps.cpp.inc"
      >();
}

LogicalResult CallOp::verify() {
  if (getKernel().empty())
    return emitOpError("names no kernel");
  int64_t operands = getArgs().size();
  if (std::optional<ArrayRef<int64_t>> aliases = getAliases()) {
    if (static_cast<int64_t>(aliases->size()) != getNumResults())
      return emitOpError("has ") << aliases->size() << " aliases for "
                                 << getNumResults() << " results";
    for (auto [index, alias] : llvm::enumerate(*aliases)) {
      if (alias == -1)
        continue;
      if (alias < 0 || alias >= operands)
        return emitOpError("result ")
               << index << " aliases operand " << alias << ", out of range";
      if (getArgs()[alias].getType() != getResult(index).getType())
        return emitOpError("result ")
               << index << " aliases operand " << alias << " of another type";
    }
  }
  if (std::optional<ArrayRef<int64_t>> offsets = getOffsets()) {
    if (static_cast<int64_t>(offsets->size()) != getNumResults())
      return emitOpError("has ") << offsets->size() << " offsets for "
                                 << getNumResults() << " results";
    for (int64_t offset : *offsets)
      if (offset < -1)
        return emitOpError("has a negative offset ") << offset;
  }
  for (NamedAttribute param : getParams()) {
    Attribute value = param.getValue();
    bool scalar = isa<IntegerAttr, FloatAttr, UnitAttr>(value);
    bool list = isa<DenseI64ArrayAttr, DenseI32ArrayAttr>(value);
    if (auto array = dyn_cast<ArrayAttr>(value))
      list =
          llvm::all_of(array, [](Attribute a) { return isa<IntegerAttr>(a); });
    if (!scalar && !list)
      return emitOpError("parameter '")
             << param.getName().getValue()
             << "' is not an integer, float or integer list: " << value;
  }
  return success();
}

static int64_t elementCount(RankedTensorType type) {
  return type.hasStaticShape() ? type.getNumElements() : -1;
}

LogicalResult ViewOp::verify() {
  auto source = cast<RankedTensorType>(getSource().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (source.getElementType() != result.getElementType())
    return emitOpError("changes the element type from ")
           << source.getElementType() << " to " << result.getElementType();
  int64_t from = elementCount(source), to = elementCount(result);
  if (from >= 0 && to >= 0 && from != to)
    return emitOpError("views ") << from << " elements as " << to;
  return success();
}
