//===- LlmcAttrs.cpp - the #llmc.dims tensor encoding ---------------------===//

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace llmc;

#define GET_ATTRDEF_CLASSES
#include "dialects/llmc/IR/LlmcAttrs.cpp.inc"

void LlmcDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/llmc/IR/LlmcAttrs.cpp.inc"
      >();
}

// #llmc.dims<batch, ?, sequence>
Attribute DimsAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<StringAttr> names;
  auto parseName = [&]() -> ParseResult {
    if (succeeded(parser.parseOptionalQuestion())) {
      names.push_back(StringAttr::get(ctx, ""));
      return success();
    }
    std::string name;
    if (parser.parseKeywordOrString(&name))
      return failure();
    names.push_back(StringAttr::get(ctx, name));
    return success();
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::LessGreater,
                                     parseName))
    return {};
  return parser.getChecked<DimsAttr>(loc, ctx, names);
}

void DimsAttr::print(AsmPrinter &printer) const {
  printer << '<';
  llvm::interleaveComma(getNames(), printer, [&](StringAttr name) {
    if (name.getValue().empty())
      printer << '?';
    else
      printer.printKeywordOrString(name.getValue());
  });
  printer << '>';
}

LogicalResult DimsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<StringAttr> names) {
  if (llvm::none_of(names, [](StringAttr n) { return !n.getValue().empty(); }))
    return emitError() << "#llmc.dims must name at least one dimension";
  return success();
}

LogicalResult
DimsAttr::verifyEncoding(ArrayRef<int64_t> shape, Type,
                         function_ref<InFlightDiagnostic()> emitError) const {
  int64_t dynamic = llvm::count_if(shape, ShapedType::isDynamic);
  if (dynamic != static_cast<int64_t>(getNames().size()))
    return emitError() << "#llmc.dims names " << getNames().size()
                       << " dimension(s) but the tensor has " << dynamic
                       << " dynamic one(s)";
  return success();
}
