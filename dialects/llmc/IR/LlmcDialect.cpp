//===- LlmcDialect.cpp - registration of the llmc dialect -----------------===//

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace llmc;

#include "dialects/llmc/IR/LlmcDialect.cpp.inc"
#include "dialects/llmc/IR/LlmcEnums.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/llmc/IR/LlmcOps.cpp.inc"

void LlmcDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "dialects/llmc/IR/LlmcOps.cpp.inc"
      >();
}

Operation *LlmcDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
