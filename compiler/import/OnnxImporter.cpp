//===- OnnxImporter.cpp - ONNX model to llmc primitive ops ----------------===//

#include "compiler/import/OnnxImporter.h"

#include "compiler/import/NodeImport.h"
#include "compiler/import/TensorImport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace llmc::onnx_import;

namespace {

constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 28;

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, std::shared_ptr<OnnxModelFile> file,
                const llmc::OnnxImportOptions &options,
                llmc::OnnxImportSummary &summary)
      : context(context), file(std::move(file)), options(options),
        summary(summary), builder(&context) {}

  FailureOr<OwningOpRef<ModuleOp>> run();
  /// The model's metadata_props bos_token_id and eos_token_id, when it has
  /// them, as the module's llmc.bos_id and llmc.eos_ids.
  LogicalResult importSpecialTokens(const onnx::ModelProto &model,
                                    ModuleOp module);

private:
  Location fileLoc(unsigned line = 0) {
    return FileLineColLoc::get(&context, file->getPath(), line, 0);
  }
  FailureOr<int64_t> findOpset();
  FailureOr<Type> importValueType(const onnx::ValueInfoProto &info);
  LogicalResult importNode(const onnx::NodeProto &node, unsigned index);

  MLIRContext &context;
  std::shared_ptr<OnnxModelFile> file;
  const llmc::OnnxImportOptions &options;
  llmc::OnnxImportSummary &summary;
  OpBuilder builder;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
};

} // namespace

FailureOr<int64_t> GraphImporter::findOpset() {
  for (const onnx::OperatorSetIdProto &set : file->getModel().opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx") {
      int64_t version = set.version();
      if (version < kMinOpset || version > kMaxOpset)
        return emitError(fileLoc())
               << "opset " << version << " is not supported (llmc imports "
               << "opsets " << kMinOpset << " to " << kMaxOpset << ")";
      return version;
    }
  return emitError(fileLoc()) << "the model imports no default-domain opset";
}

FailureOr<Type>
GraphImporter::importValueType(const onnx::ValueInfoProto &info) {
  if (!info.type().has_tensor_type())
    return emitError(fileLoc())
           << "graph input '" << info.name() << "' is not a tensor";
  const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  FailureOr<Type> elementType =
      importElementType(tensor.elem_type(), &context, fileLoc(),
                        "graph input '" + info.name() + "'");
  if (failed(elementType))
    return failure();
  if (!tensor.has_shape())
    return emitError(fileLoc()) << "graph input '" << info.name()
                                << "' has no shape (rank is required)";
  llmc::DimList dims;
  for (const onnx::TensorShapeProto::Dimension &dim : tensor.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() >= 0)
      dims.push_back(llmc::Dim::fixed(dim.dim_value()));
    else if (dim.has_dim_param() && !dim.dim_param().empty())
      dims.push_back(
          llmc::Dim::named(StringAttr::get(&context, dim.dim_param())));
    else
      dims.push_back(llmc::Dim::unknown());
  }
  return Type(llmc::buildTensorType(dims, *elementType));
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        unsigned index) {
  Location loc =
      NameLoc::get(StringAttr::get(&context, node.name()), fileLoc(index + 1));
  ++summary.nodesByOpType[node.op_type()];
  ++summary.nodeCount;
  SmallVector<Value> inputs;
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      inputs.push_back(Value());
      continue;
    }
    Value value = values.lookup(name);
    if (!value)
      return emitError(loc) << node.op_type() << ": input '" << name
                            << "' is not defined by a graph input, an "
                               "initializer or an earlier node";
    inputs.push_back(value);
  }
  bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  std::string key =
      defaultDomain ? node.op_type() : node.domain() + "." + node.op_type();
  const ConverterMap &converters = getConverters();
  auto converter = converters.find(key);
  if (converter == converters.end())
    return emitError(loc) << "unsupported op " << key;
  NodeImport import(node, loc, builder, std::move(inputs), opset, file,
                    options.inlineElementLimit);
  FailureOr<SmallVector<Value>> results = converter->second(import);
  if (failed(results))
    return failure();
  for (auto [i, name] : llvm::enumerate(node.output())) {
    if (name.empty())
      continue;
    if (i >= results->size() || !(*results)[i])
      return import.error()
             << "output #" << i << " ('" << name << "') is not supported";
    values[name] = (*results)[i];
  }
  return success();
}

LogicalResult GraphImporter::importSpecialTokens(const onnx::ModelProto &model,
                                                 ModuleOp module) {
  for (const onnx::StringStringEntryProto &entry : model.metadata_props()) {
    const std::string &key = entry.key();
    if (key != "bos_token_id" && key != "eos_token_id")
      continue;
    // One id, or several: "2", "[2, 32000]", "2,32000".
    SmallVector<int64_t> ids;
    SmallVector<StringRef> pieces;
    StringRef(entry.value()).trim().trim("[]").split(pieces, ',');
    for (StringRef piece : pieces) {
      int64_t id;
      if (piece.trim().getAsInteger(10, id) || id < 0)
        return emitError(fileLoc())
               << "metadata " << key << " = '" << entry.value()
               << "' is not a token id or a list of them";
      ids.push_back(id);
    }
    if (key == "bos_token_id" && ids.size() == 1)
      module->setAttr("llmc.bos_id", builder.getI64IntegerAttr(ids[0]));
    else if (key == "eos_token_id")
      module->setAttr("llmc.eos_ids", builder.getDenseI64ArrayAttr(ids));
    else
      return emitError(fileLoc()) << "metadata bos_token_id = '"
                                  << entry.value() << "' is not one token id";
  }
  return success();
}

FailureOr<OwningOpRef<ModuleOp>> GraphImporter::run() {
  const onnx::ModelProto &model = file->getModel();
  const onnx::GraphProto &graph = model.graph();
  summary.irVersion = model.ir_version();
  summary.producer = model.producer_name() + " " + model.producer_version();
  FailureOr<int64_t> version = findOpset();
  if (failed(version))
    return failure();
  opset = summary.opsetVersion = *version;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  builder.setInsertionPointToEnd(module->getBody());
  if (failed(importSpecialTokens(model, *module)))
    return failure();

  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializerNames.insert(tensor.name());
  SmallVector<Type> inputTypes;
  SmallVector<const onnx::ValueInfoProto *> inputs;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue; // IR < 4 lists initializers as inputs too.
    FailureOr<Type> type = importValueType(input);
    if (failed(type))
      return failure();
    inputTypes.push_back(*type);
    inputs.push_back(&input);
  }
  auto function = func::FuncOp::create(builder, fileLoc(), "main",
                                       builder.getFunctionType(inputTypes, {}));
  Block *body = function.addEntryBlock();
  for (auto [i, input] : llvm::enumerate(inputs)) {
    values[input->name()] = body->getArgument(i);
    function.setArgAttr(i, "llmc.onnx_name",
                        builder.getStringAttr(input->name()));
  }
  builder.setInsertionPointToStart(body);

  for (const onnx::TensorProto &tensor : graph.initializer()) {
    Location loc = fileLoc();
    FailureOr<ElementsAttr> value =
        importTensor(file, tensor, &context, loc, options.inlineElementLimit);
    if (failed(value))
      return failure();
    summary.parameters += value->getNumElements();
    summary.weightBytes +=
        value->getNumElements() *
        ((value->getElementType().getIntOrFloatBitWidth() + 7) / 8);
    values[tensor.name()] = llmc::ConstantOp::create(builder, loc, *value);
  }

  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();

  SmallVector<Value> results;
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    Value value = values.lookup(output.name());
    if (!value)
      return emitError(fileLoc())
             << "graph output '" << output.name()
             << "' is not produced by any node, input or initializer";
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  function.setType(
      builder.getFunctionType(inputTypes, ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    function.setResultAttr(i, "llmc.onnx_name",
                           builder.getStringAttr(output.name()));
  if (failed(verify(*module)))
    return failure();
  return module;
}

FailureOr<OwningOpRef<ModuleOp>>
llmc::importOnnxFile(MLIRContext &context, StringRef path,
                     const OnnxImportOptions &options,
                     OnnxImportSummary *summary) {
  context.loadDialect<llmc::LlmcDialect, func::FuncDialect>();
  std::shared_ptr<OnnxModelFile> file =
      OnnxModelFile::open(path, FileLineColLoc::get(&context, path, 0, 0));
  if (!file)
    return failure();
  OnnxImportSummary local;
  GraphImporter importer(context, std::move(file), options,
                         summary ? *summary : local);
  return importer.run();
}
