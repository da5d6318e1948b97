//===- Calibrate.cpp - run the model on calibration data ------------------===//

#include "compiler/calibration/Calibrate.h"

#include "compiler/artifact/EmitArtifact.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/Passes.h"
#include "passes/quant/QuantTargets.h"
#include "passes/quant/Statistics.h"
#include "runtime/format/Progress.h"
// layering: calibration is the one place that runs the runtime at compile
// time (docs/architecture.md).
#include "runtime/generate/Session.h"
// layering: calibration scores next tokens as llmc-run eval does.
#include "runtime/sampler/LogSoftmax.h"
// layering: calibration reads token files as the runtime does.
#include "runtime/support/TokenFile.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace llmc {
namespace {

/// gated_mlp and mlp as linears and activations, so that every weight's
/// input is a value of the function.
void spellOutFeedForward(func::FuncOp function) {
  auto activate = [](OpBuilder &b, Location loc, Value x,
                     Activation activation) -> Value {
    switch (activation) {
    case Activation::silu:
      return SiluOp::create(b, loc, x);
    case Activation::gelu:
      return GeluOp::create(b, loc, x, /*tanh=*/false);
    case Activation::gelu_tanh:
      return GeluOp::create(b, loc, x, /*tanh=*/true);
    }
    return x;
  };
  function.walk([&](Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    if (auto gated = dyn_cast<GatedMlpOp>(op)) {
      Value x = gated.getInput();
      Value g = LinearOp::create(b, loc, x, gated.getGate(), Value());
      Value u = LinearOp::create(b, loc, x, gated.getUp(), Value());
      Value h =
          MulOp::create(b, loc, activate(b, loc, g, gated.getActivation()), u);
      gated.replaceAllUsesWith(
          LinearOp::create(b, loc, h, gated.getDown(), Value()).getResult());
      gated.erase();
    } else if (auto mlp = dyn_cast<MlpOp>(op)) {
      Value h = LinearOp::create(b, loc, mlp.getInput(), mlp.getUp(),
                                 mlp.getUpBias());
      h = activate(b, loc, h, mlp.getActivation());
      mlp.replaceAllUsesWith(
          LinearOp::create(b, loc, h, mlp.getDown(), mlp.getDownBias())
              .getResult());
      mlp.erase();
    }
  });
}

/// Makes @decode of `module` the only function and (`withTaps`) return
/// the input of each weight too; fills `taps` with, for each extra result
/// in order, the weights it feeds.
LogicalResult addTaps(ModuleOp module, bool withTaps,
                      std::vector<std::vector<quant::WeightKey>> &taps) {
  auto decode = module.lookupSymbol<func::FuncOp>("decode");
  if (!decode)
    return module.emitError("calibration needs the KV-cache entry point "
                            "@decode (a model with attention)");
  for (auto function :
       llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (function != decode)
      function.erase();
  if (!withTaps)
    return success();
  spellOutFeedForward(decode);
  llvm::MapVector<Value, std::vector<quant::WeightKey>> inputs;
  for (const quant::WeightUse &use : quant::collectWeightUses(module, {})) {
    std::optional<quant::WeightKey> key =
        quant::weightKey(use.op->getOperand(use.operand));
    if (key)
      inputs[use.op->getOperand(0)].push_back(*key);
  }
  auto ret = cast<func::ReturnOp>(decode.getBody().front().getTerminator());
  SmallVector<Value> results(ret.getOperands());
  Value cache = results.pop_back_val();
  for (auto &[value, keys] : inputs) {
    results.push_back(value);
    taps.push_back(keys);
  }
  results.push_back(cache);
  OpBuilder b(ret);
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  decode.setType(FunctionType::get(module.getContext(),
                                   decode.getArgumentTypes(),
                                   ValueRange(results).getTypes()));
  return success();
}

FailureOr<runtime::TokenSequences> readSequences(ModuleOp module,
                                                 const CalibrationOptions &o) {
  auto failWith = [&](const std::string &message) {
    return module.emitError("calibration: ") << message;
  };
  std::string path = o.path;
  SmallString<128> tokenized;
  if (!o.tokenizer.empty()) {
    std::string tool = o.tokenizeTool;
    if (tool.empty()) {
      static int anchor;
      SmallString<256> beside(llvm::sys::path::parent_path(
          llvm::sys::fs::getMainExecutable(nullptr, &anchor)));
      llvm::sys::path::append(beside, "llmc-tokenize");
      tool = beside.str().str();
    }
    // SentencePiece cannot share this process with ONNX's protobuf: the
    // text is tokenized by llmc-tokenize, into a temporary token file.
    if (std::error_code error = llvm::sys::fs::createTemporaryFile(
            "llmc-calibration", "ids", tokenized))
      return failWith("cannot create a temporary file: " + error.message());
    std::string message;
    int status = llvm::sys::ExecuteAndWait(
        tool, {tool, o.path, "--tokenizer", o.tokenizer, "-o", tokenized.str()},
        std::nullopt, {}, 0, 0, &message);
    if (status != 0) {
      llvm::sys::fs::remove(tokenized);
      return failWith("tokenizing " + o.path + " with " + tool + " failed" +
                      (message.empty() ? "" : ": " + message));
    }
    path = tokenized.str().str();
  }
  runtime::Expected<runtime::TokenSequences> sequences =
      runtime::readTokenFile(path);
  if (!tokenized.empty())
    llvm::sys::fs::remove(tokenized);
  if (!sequences)
    return failWith(sequences.status().message());
  return *sequences;
}

/// `module` in `context`, through bytecode (weights included), or null
/// with an error at `module`.
OwningOpRef<ModuleOp> copyInto(ModuleOp module, MLIRContext &context) {
  std::string bytes;
  llvm::raw_string_ostream out(bytes);
  if (failed(writeBytecodeToFile(module, out))) {
    module.emitError("calibration: cannot copy the module");
    return nullptr;
  }
  ParserConfig config(&context);
  OwningOpRef<ModuleOp> copy = parseSourceString<ModuleOp>(bytes, config);
  if (!copy)
    module.emitError("calibration: cannot read the module's copy back");
  return copy;
}

} // namespace

FailureOr<std::shared_ptr<quant::CalibrationData>>
calibrate(ModuleOp module, const CalibrationOptions &options) {
  FailureOr<runtime::TokenSequences> sequences = readSequences(module, options);
  if (failed(sequences))
    return failure();

  // Lowered in a context of its own: lowering names new weights (the
  // pre-packed "X.packed"), and in the compile's context those names would
  // be taken, so the compiled artifact's sections would depend on whether
  // calibration ran in the same process (--calib) or before it (--stats).
  MLIRContext context(module.getContext()->getDialectRegistry(),
                      MLIRContext::Threading::DISABLED);
  OwningOpRef<ModuleOp> copy = copyInto(module, context);
  if (!copy)
    return failure();
  // The passes name weights by their constant's data in `module`.
  DenseMap<const void *, const void *> original;
  SmallVector<ConstantOp> from, to;
  module.walk([&](ConstantOp c) { from.push_back(c); });
  copy->walk([&](ConstantOp c) { to.push_back(c); });
  if (from.size() != to.size())
    return module.emitError("calibration: the module's copy differs");
  for (auto [a, b] : llvm::zip(from, to))
    original[b.getValue().getAsOpaquePointer()] =
        a.getValue().getAsOpaquePointer();
  if (options.edit && failed(options.edit(*copy)))
    return failure();
  // A model before its KV cache (head pruning ranks heads right after
  // raising) gets one as the compile would give it.
  if (!copy->lookupSymbol<func::FuncOp>("decode")) {
    PassManager cached(&context);
    cached.addPass(createKvCache());
    cached.addPass(createCleanup());
    cached.addPass(createComputeType());
    cached.addPass(createCleanup());
    if (failed(cached.run(*copy)))
      return failure();
  }
  std::vector<std::vector<quant::WeightKey>> taps;
  if (failed(addTaps(*copy, !options.lossOnly, taps)))
    return failure();
  PassManager pm(&context);
  pm.addPass(createCleanup());
  pm.addPass(createLowerToPlan());
  addPlanFusionPasses(pm);
  pm.addPass(createPlanMemory());
  if (failed(pm.run(*copy)))
    return failure();
  SmallString<128> path;
  if (std::error_code error =
          llvm::sys::fs::createTemporaryFile("llmc-calibration", "llmc", path))
    return module.emitError("calibration: cannot create a temporary file: ")
           << error.message();
  ArtifactOptions artifactOptions;
  artifactOptions.producer = "llmc calibration";
  LogicalResult written =
      emitArtifact(*copy, artifactOptions, path.str().str());
  runtime::Expected<std::unique_ptr<runtime::Model>> model =
      succeeded(written)
          ? runtime::Model::load(path.str().str(), options.threads)
          : runtime::Status::error("not written");
  llvm::sys::fs::remove(path);
  if (failed(written))
    return failure();
  if (!model)
    return module.emitError("calibration: ") << model.status().message();

  auto data = std::make_shared<quant::CalibrationData>();
  std::vector<std::shared_ptr<quant::InputStats>> stats(taps.size());
  const runtime::ModelInfo &info = (*model)->info();
  // A paged cache (llmc compile --kv-layout paged): one sequence over a
  // pool of as many blocks as it can fill, in order.
  const bool paged = info.cache.paged();
  const int64_t columns = paged ? (info.maxSeq + info.cache.blockTokens - 1) /
                                      info.cache.blockTokens
                                : 0;
  std::vector<int64_t> cacheShape = info.cacheShape(1);
  if (paged) {
    cacheShape = info.cache.blockShape();
    cacheShape[0] = columns;
  }
  std::vector<int32_t> table(static_cast<size_t>(columns));
  for (int64_t c = 0; c < columns; ++c)
    table[size_t(c)] = int32_t(c);
  std::vector<float> cache(runtime::elementCount(cacheShape));
  std::vector<double> logProbs;
  runtime::Progress progress("calibration", int64_t(sequences->size()),
                             "sequences");
  int64_t run = 0;
  for (std::vector<int64_t> &ids : *sequences) {
    progress.update(run++);
    if (static_cast<int64_t>(ids.size()) > info.maxSeq)
      ids.resize(info.maxSeq);
    for (int64_t id : ids)
      if (id >= info.vocabSize)
        return module.emitError("calibration: token id ")
               << id << " is outside the vocabulary of " << info.vocabSize;
    int64_t tokens = ids.size(), position = 0;
    runtime::Tensor input{runtime::DType::i64,
                          {1, tokens},
                          reinterpret_cast<uint8_t *>(ids.data())};
    runtime::Tensor cacheTensor{runtime::DType::f32, cacheShape,
                                reinterpret_cast<uint8_t *>(cache.data())};
    runtime::Tensor at{runtime::DType::i64,
                       paged ? runtime::Shape{1} : runtime::Shape{},
                       reinterpret_cast<uint8_t *>(&position)};
    std::vector<runtime::Tensor> arguments{input, cacheTensor, at};
    if (paged)
      arguments.push_back({runtime::DType::i32,
                           {1, columns},
                           reinterpret_cast<uint8_t *>(table.data())});
    runtime::Expected<std::vector<runtime::Tensor>> results =
        (*model)->executor().run("decode", arguments);
    if (!results)
      return module.emitError("calibration: ") << results.status().message();
    // The loss: each position's logits score the next token.
    const runtime::Tensor &logits = (*results)[0];
    if (logits.dtype != runtime::DType::f32 ||
        logits.elements() != tokens * info.vocabSize)
      return module.emitError("calibration: the first result is not the "
                              "logits of every position");
    for (int64_t t = 0; t + 1 < tokens; ++t) {
      runtime::logSoftmax(logits.as<float>() + t * info.vocabSize,
                          info.vocabSize, logProbs);
      data->nll -= logProbs[ids[t + 1]];
      data->predicted += 1;
    }
    for (size_t t = 0; t < taps.size(); ++t) {
      const runtime::Tensor &value = (*results)[1 + t];
      int64_t k = value.shape.back();
      if (!stats[t])
        stats[t] =
            std::make_shared<quant::InputStats>(k, options.samplesPerInput);
      stats[t]->add(value.as<float>(), value.elements() / k);
    }
    data->sequences += 1;
    data->tokens += tokens;
  }
  progress.complete();
  for (size_t t = 0; t < taps.size(); ++t)
    for (const quant::WeightKey &key : taps[t])
      data->byWeight[{original.lookup(key.first), key.second}] = stats[t];
  return data;
}

void registerCalibrator() {
  quant::setCalibrator(
      [](ModuleOp module, const quant::CalibrationRequest &request) {
        CalibrationOptions options;
        options.path = request.path;
        options.tokenizer = request.tokenizer;
        options.lossOnly = request.lossOnly;
        options.edit = request.edit;
        return calibrate(module, options);
      });
}

} // namespace llmc
