//===- NodeImport.h - what a converter of one ONNX node sees --------------===//
//
// Each ONNX op type has one converter function, registered by op family in
// Convert*.cpp. A converter reads its node's inputs and attributes through
// NodeImport and returns the node's output values.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_IMPORT_NODEIMPORT_H
#define LLMC_COMPILER_IMPORT_NODEIMPORT_H

#include "compiler/import/OnnxModelFile.h"
#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

namespace llmc::onnx_import {

class NodeImport {
public:
  NodeImport(const onnx::NodeProto &node, mlir::Location loc,
             mlir::OpBuilder &builder, llvm::SmallVector<mlir::Value> inputs,
             int64_t opset, const std::shared_ptr<OnnxModelFile> &file,
             int64_t inlineElementLimit)
      : node(node), loc(loc), builder(builder), inputs(std::move(inputs)),
        opset(opset), file(file), inlineElementLimit(inlineElementLimit) {}

  const onnx::NodeProto &node;
  mlir::Location loc;
  mlir::OpBuilder &builder;
  /// One per ONNX input; null where an optional input is left out.
  llvm::SmallVector<mlir::Value> inputs;
  int64_t opset;

  /// An error at the node: "node 'name' (OpType): ...".
  mlir::InFlightDiagnostic error();

  /// Input `index`, or an error when it is missing.
  mlir::FailureOr<mlir::Value> input(unsigned index);
  bool hasInput(unsigned index) const {
    return index < inputs.size() && inputs[index];
  }
  mlir::RankedTensorType inputType(unsigned index) {
    return mlir::cast<mlir::RankedTensorType>(inputs[index].getType());
  }

  const onnx::AttributeProto *attribute(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t defaultValue) const;
  float floatAttr(llvm::StringRef name, float defaultValue) const;
  std::optional<llvm::SmallVector<int64_t>>
  intsAttr(llvm::StringRef name) const;
  mlir::FailureOr<mlir::ElementsAttr> tensorAttr(const onnx::TensorProto &t);

  /// The integer contents of input `index` when it is a constant.
  std::optional<llvm::SmallVector<int64_t>> constantInts(unsigned index) const;

  /// `axis` made non-negative for `rank`, or an error.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

private:
  const std::shared_ptr<OnnxModelFile> &file;
  int64_t inlineElementLimit;
};

/// Creates a shape-inferring llmc op, reporting an inference failure at the
/// node (instead of the fatal error of the generated inferring builders).
template <typename OpTy>
mlir::FailureOr<OpTy>
createInferred(NodeImport &node, mlir::ValueRange operands,
               typename OpTy::Properties properties = {}) {
  llvm::SmallVector<mlir::Type, 1> types;
  if (failed(OpTy::inferReturnTypes(
          node.builder.getContext(), node.loc, operands, nullptr,
          mlir::OpaqueProperties(&properties), {}, types)))
    return mlir::failure();
  mlir::OperationState state(node.loc, OpTy::getOperationName());
  state.addOperands(operands);
  state.addTypes(types);
  state.useProperties(properties);
  return mlir::cast<OpTy>(node.builder.create(state));
}

using Converter =
    mlir::FailureOr<llvm::SmallVector<mlir::Value>> (*)(NodeImport &);
using ConverterMap = llvm::StringMap<Converter>;

/// Converters by ONNX op type: the op type for the default domain,
/// "domain.OpType" for others.
const ConverterMap &getConverters();

void registerElementwiseConverters(ConverterMap &map);
void registerDataMovementConverters(ConverterMap &map);
void registerShapeComputationConverters(ConverterMap &map);
void registerComputeConverters(ConverterMap &map);
/// onnxruntime's com.microsoft ops, keyed "com.microsoft.OpType".
void registerContribConverters(ConverterMap &map);
void registerQuantConverters(ConverterMap &map);

} // namespace llmc::onnx_import

#endif // LLMC_COMPILER_IMPORT_NODEIMPORT_H
