//===- PlanOps.cpp - the plan dialect's registration and verifiers --------===//

#include "dialects/plan/IR/PlanOps.h"

#include "runtime/format/KernelContract.h"

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
  if (std::optional<ArrayRef<int64_t>> scratch = getScratch())
    if (scratch->size() != 2 || (*scratch)[0] < 0 || (*scratch)[1] <= 0 ||
        (*scratch)[0] % llmc::format::kScratchAlignment != 0)
      return emitOpError("scratch must be [offset, bytes], an aligned offset "
                         "and a positive size");
  return verifyContract();
}

/// The parameter `value` in the contract's terms, or nullopt for an
/// attribute with no parameter form.
static std::optional<llmc::format::ParamValue>
paramValue(NamedAttribute param) {
  using Form = llmc::format::ParamValue::Form;
  llmc::format::ParamValue value{param.getName().str(), Form::unit};
  Attribute attr = param.getValue();
  if (auto integer = dyn_cast<IntegerAttr>(attr)) {
    value.form = Form::integer;
    value.first = integer.getValue().getSExtValue();
  } else if (isa<FloatAttr>(attr)) {
    value.form = Form::real;
  } else if (auto list = dyn_cast<DenseI64ArrayAttr>(attr)) {
    value.form = Form::integers;
    value.count = list.size();
    value.first = list.empty() ? 0 : list[0];
  } else if (!isa<UnitAttr>(attr)) {
    return std::nullopt;
  }
  return value;
}

SmallVector<Value> CallOp::getArgsByPosition() {
  ArrayRef<int64_t> absent;
  if (std::optional<ArrayRef<int64_t>> list = getAbsent())
    absent = *list;
  SmallVector<Value> args;
  auto next = getArgs().begin();
  for (int64_t position = 0,
               end = getArgs().size() + static_cast<int64_t>(absent.size());
       position < end; ++position)
    args.push_back(llvm::is_contained(absent, position) ? Value() : *next++);
  return args;
}

LogicalResult CallOp::verifyContract() {
  const llmc::format::KernelDecl *kernel =
      llmc::format::findKernel(getKernel());
  if (!kernel)
    return emitOpError("calls '")
           << getKernel()
           << "', which is not a kernel of the plan (runtime/format/"
              "KernelContract.cpp declares them)";
  ArrayRef<int64_t> absent;
  if (std::optional<ArrayRef<int64_t>> list = getAbsent())
    absent = *list;
  int64_t positions = getArgs().size() + absent.size();
  for (int64_t position : absent)
    if (!kernel->mayBeAbsent(position))
      return emitOpError("lists operand ")
             << position << " of '" << getKernel()
             << "' as absent, which is not an optional operand ("
             << kernel->operands << ")";
  std::vector<llmc::format::ParamValue> values;
  for (NamedAttribute param : getParams()) {
    std::optional<llmc::format::ParamValue> value = paramValue(param);
    if (!value)
      return emitOpError("parameter '")
             << param.getName().getValue()
             << "' is not an integer, float, integer list or flag: "
             << param.getValue();
    values.push_back(std::move(*value));
  }
  std::string broken =
      llmc::format::checkCall(*kernel, positions, getNumResults(), values);
  if (!broken.empty())
    return emitOpError(broken);
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
