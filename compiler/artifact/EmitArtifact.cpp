//===- EmitArtifact.cpp - a planned module written as a .llmc artifact ----===//

#include "compiler/artifact/EmitArtifact.h"

#include "compiler/artifact/PackQuantWeight.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "dialects/plan/IR/PlanOps.h"
#include "passes/lowering/EntrySymbols.h"
#include "runtime/format/Artifact.h"
#include "runtime/format/KernelContract.h"
#include "runtime/format/artifact_generated.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/Support/xxhash.h"

#include <deque>
#include <map>

using namespace mlir;
namespace fb = llmc::format;

namespace llmc {
namespace {

FailureOr<fb::DType> dtypeOf(Type type, Location loc) {
  if (type.isF32())
    return fb::DType::f32;
  if (type.isF16())
    return fb::DType::f16;
  if (type.isBF16())
    return fb::DType::bf16;
  if (type.isInteger(64))
    return fb::DType::i64;
  if (type.isInteger(32))
    return fb::DType::i32;
  if (type.isSignlessInteger(8) || type.isSignedInteger(8))
    return fb::DType::i8;
  if (type.isUnsignedInteger(8))
    return fb::DType::u8;
  if (type.isInteger(1))
    return fb::DType::bool_;
  if (isa<Float8E4M3FNType>(type))
    return fb::DType::f8e4m3;
  return emitError(loc, "the CPU runtime has no element type ") << type;
}

std::string describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      return describeLocation(fused.getLocations().front());
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().str() + ":" + std::to_string(file.getLine()));
  return "";
}

class Emitter {
public:
  Emitter(const ArtifactOptions &options, ArtifactSummary &summary)
      : options(options), summary(summary) {}

  LogicalResult emit(ModuleOp module, const std::string &path) {
    runtime::ModelInfo model;
    model.bosId = options.bosId;
    model.eosIds = options.eosIds;
    FailureOr<std::vector<uint8_t>> plan =
        emitPlan(module, model, true, summary.cacheBytesPerSequence);
    if (failed(plan))
      return failure();
    summary.cacheBlockTokens = model.cache.blockTokens;
    summary.cacheEvict = model.cache.eviction.policy;
    summary.cacheWindow = model.cache.eviction.window;
    summary.cacheSinks = model.cache.eviction.sinks;
    std::optional<std::vector<uint8_t>> draftPlan;
    if (auto speculative =
            module->getAttrOfType<DictionaryAttr>("llmc.speculative")) {
      auto tokens = speculative.getAs<IntegerAttr>("draft_tokens");
      if (!tokens || (options.ngram < 1 && !options.draft))
        return module.emitError(
            "a module with llmc.speculative needs its draft: "
            "n-gram lookup or a draft module (llmc "
            "compile --draft)");
      runtime::SpeculativeInfo &info = model.speculative;
      info = {tokens.getInt(), options.draftSource, options.ngram};
      summary.draftTokens = tokens.getInt();
      if (options.draft) {
        runtime::ModelInfo draft;
        int64_t draftCache = 0;
        FailureOr<std::vector<uint8_t>> bytes =
            emitPlan(options.draft, draft, false, draftCache);
        if (failed(bytes))
          return failure();
        ModuleOp draftModule = options.draft;
        // A paged cache's @decode verifies (llmc-speculative-verify).
        if (!draftModule.lookupSymbol("verify") && !draft.cache.paged())
          return draftModule.emitError("the draft has no @verify (compile "
                                       "it with llmc-speculative-verify)");
        draftPlan = std::move(*bytes);
        info.draftVocabSize = draft.vocabSize;
        info.draftMaxSeq = draft.maxSeq;
        info.draftCache = draft.cache;
        summary.draftCacheBytesPerSequence = draftCache;
      }
    }

    // The other ranks: plans of their own. A stage's tensor-parallel
    // ranks share its cache layout (each its share of the KV heads); the
    // last stage's return the logits.
    std::vector<std::vector<uint8_t>> rankPlans;
    const int64_t ranks = 1 + int64_t(options.ranks.size());
    if (auto pipeline = module->getAttrOfType<DictionaryAttr>("llmc.pipeline"))
      if (auto stages = pipeline.getAs<IntegerAttr>("stages"))
        model.pp = stages.getInt();
    if (model.pp < 1 || ranks % model.pp != 0)
      return module.emitError("pipeline of ")
             << model.pp << " stages over " << ranks << " ranks";
    model.tp = ranks / model.pp;
    if (model.pp > 1)
      model.stageCaches.push_back(model.cache);
    for (ModuleOp rank : options.ranks) {
      const int64_t r = int64_t(rankPlans.size()) + 1;
      runtime::ModelInfo info;
      int64_t cacheBytes = 0;
      FailureOr<std::vector<uint8_t>> bytes =
          emitPlan(rank, info, false, cacheBytes);
      if (failed(bytes))
        return failure();
      if (r % model.tp == 0)
        model.stageCaches.push_back(info.cache);
      const runtime::CacheInfo &a = model.pp > 1
                                        ? model.stageCaches[r / model.tp]
                                        : model.cache,
                               &b = info.cache;
      if (a.layers != b.layers || a.kvHeads != b.kvHeads ||
          a.headDim != b.headDim || a.slots != b.slots ||
          info.maxSeq != model.maxSeq)
        return rank.emitError("rank ")
               << r << " has a KV cache unlike rank " << r - r % model.tp
               << "'s, of the same stage";
      if (info.vocabSize > 0 && model.vocabSize > 0 &&
          info.vocabSize != model.vocabSize)
        return rank.emitError("rank ")
               << r << " has a vocabulary of " << info.vocabSize
               << ", an earlier rank " << model.vocabSize;
      model.vocabSize = std::max(model.vocabSize, info.vocabSize);
      rankPlans.push_back(std::move(*bytes));
    }

    // plan-cuda-codegen records the CUDA target and its sections.
    auto target = module->getAttrOfType<StringAttr>("llmc.target");
    runtime::ArtifactWriter writer(options.producer,
                                   target ? target.str() : "cpu", model);
    if (options.dummyWeights)
      writer.markDummyWeights();
    for (const Weight &weight : weights)
      if (runtime::Status status =
              weight.dummy
                  ? runtime::Status::success()
                  : writer.addSection(weight.section, weight.data.data(),
                                      weight.data.size());
          !status)
        return module.emitError(status.message());
    if (runtime::Status status =
            writer.addSection("plan", plan->data(), plan->size());
        !status)
      return module.emitError(status.message());
    for (size_t r = 0; r < rankPlans.size(); ++r)
      if (runtime::Status status =
              writer.addSection(runtime::ModelInfo::planSection(int64_t(r) + 1),
                                rankPlans[r].data(), rankPlans[r].size());
          !status)
        return module.emitError(status.message());
    if (draftPlan)
      if (runtime::Status status = writer.addSection(
              "draft plan", draftPlan->data(), draftPlan->size());
          !status)
        return module.emitError(status.message());
    for (const auto &[name, bytes] : options.files)
      if (runtime::Status status =
              writer.addSection(name, bytes.data(), bytes.size());
          !status)
        return module.emitError(status.message());
    if (failed(addModuleSections(writer, module, "")) ||
        (options.draft &&
         failed(addModuleSections(writer, options.draft, "draft "))))
      return failure();
    if (runtime::Status status = writer.write(path); !status)
      return module.emitError(status.message());
    summary.maxBatch = model.maxBatch;
    summary.maxSeq = model.maxSeq;
    return success();
  }

private:
  /// The sections `module` carries (plan-cuda-codegen's), named with
  /// `prefix`.
  LogicalResult addModuleSections(runtime::ArtifactWriter &writer,
                                  ModuleOp module, StringRef prefix) {
    auto sections = module->getAttrOfType<DictionaryAttr>("llmc.sections");
    if (!sections)
      return success();
    for (NamedAttribute section : sections) {
      auto bytes = dyn_cast<StringAttr>(section.getValue());
      if (!bytes)
        return module.emitError("llmc.sections: section '")
               << section.getName().getValue() << "' is not a string";
      if (runtime::Status status =
              writer.addSection((prefix + section.getName().getValue()).str(),
                                bytes.data(), bytes.size());
          !status)
        return module.emitError(status.message());
    }
    return success();
  }

  /// The plan of `module`'s entry points, with its own list of the weight
  /// sections it reads (shared with the other plan's where the bytes are
  /// the same), and what the runtime needs to know of it in `model`.
  /// `counted`: the entries and steps go into the summary;
  /// `cacheBytes`: the KV cache's bytes per sequence.
  FailureOr<std::vector<uint8_t>> emitPlan(ModuleOp module,
                                           runtime::ModelInfo &model,
                                           bool counted, int64_t &cacheBytes) {
    builder.Clear();
    planWeights.clear();
    localIndices.clear();
    countSteps = counted;
    // Without a KV cache (a graph with no attention) the entry point is
    // @main and memory was planned for plan-memory's default sequence.
    auto cache = module->getAttrOfType<DictionaryAttr>("llmc.kv_cache");
    auto integer = [&](StringRef name) -> int64_t {
      auto value = cache ? cache.getAs<IntegerAttr>(name) : IntegerAttr();
      return value ? value.getInt() : 0;
    };
    model.maxSeq = integer("max_seq");
    model.cache.layers = integer("layers");
    model.cache.kvHeads = integer("kv_heads");
    model.cache.headDim = integer("head_dim");
    model.cache.slots = integer("slots");
    model.cache.blockTokens = integer("block_tokens");
    if (auto layout = cache ? cache.getAs<StringAttr>("layout") : nullptr)
      model.cache.layout = layout.str();
    if (auto evict = cache ? cache.getAs<StringAttr>("evict") : nullptr) {
      runtime::KvEviction &eviction = model.cache.eviction;
      eviction.policy = evict.str();
      eviction.window = integer("window");
      eviction.sinks = integer("sinks");
      auto pairs = cache.getAs<StringAttr>("rope_pairs");
      eviction.ropePairs = pairs && pairs.getValue() == "half" ? 1 : 0;
      auto cos = cache.getAs<DenseFPElementsAttr>("rope_cos");
      auto sin = cache.getAs<DenseFPElementsAttr>("rope_sin");
      if (!cos || !sin)
        return module.emitError("llmc.kv_cache: eviction without RoPE tables");
      eviction.rotaryDim = 2 * cos.getType().getDimSize(1);
      eviction.ropeCos.assign(cos.getValues<float>().begin(),
                              cos.getValues<float>().end());
      eviction.ropeSin.assign(sin.getValues<float>().begin(),
                              sin.getValues<float>().end());
    }

    std::vector<flatbuffers::Offset<fb::Entry>> entries;
    for (auto function : module.getOps<func::FuncOp>()) {
      if (counted)
        summary.entries +=
            (summary.entries.empty() ? "@" : ", @") + function.getName().str();
      FailureOr<flatbuffers::Offset<fb::Entry>> entry = emitEntry(function);
      if (failed(entry))
        return failure();
      entries.push_back(*entry);
      // plan-memory planned every entry point for the same batch.
      model.maxBatch =
          function->getAttrOfType<IntegerAttr>("plan.max_batch").getInt();
      if (function.getName() == "decode") {
        // A pipeline stage before the last returns only the cache.
        auto logits = function.getNumResults() > 1
                          ? dyn_cast<RankedTensorType>(
                                function.getFunctionType().getResult(0))
                          : RankedTensorType();
        if (logits)
          model.vocabSize = logits.getShape().back();
        auto cacheType = cast<RankedTensorType>(
            function.getFunctionType().getResults().back());
        FailureOr<fb::DType> dtype =
            dtypeOf(cacheType.getElementType(), function.getLoc());
        if (failed(dtype))
          return failure();
        model.cache.dtype = static_cast<int32_t>(*dtype);
        const int64_t element = elementBytes(cacheType.getElementType());
        cacheBytes = 2 * model.cache.layers * model.cache.kvHeads *
                     model.cache.slots * model.cache.headDim * element;
        // A paged sequence of max_seq takes whole blocks, whose planes
        // (int8, fp8) hold a scale row too.
        if (const int64_t block = model.cache.blockTokens) {
          const int64_t blockBytes =
              2 * model.cache.layers * model.cache.kvHeads *
              cacheType.getDimSize(4) * model.cache.headDim * element;
          cacheBytes = (model.maxSeq + block - 1) / block * blockBytes;
          if (countSteps)
            summary.cacheBlockBytes = blockBytes;
        }
      }
    }
    std::vector<flatbuffers::Offset<flatbuffers::String>> names;
    for (int32_t index : planWeights)
      names.push_back(builder.CreateString(weights[index].section));
    builder.Finish(fb::CreatePlan(builder, builder.CreateVector(entries),
                                  builder.CreateVector(names)));
    return std::vector<uint8_t>(builder.GetBufferPointer(),
                                builder.GetBufferPointer() + builder.GetSize());
  }

  /// The plan's own index of weight section `global`.
  int32_t localWeight(int32_t global) {
    auto [found, inserted] = localIndices.try_emplace(
        global, static_cast<int32_t>(planWeights.size()));
    if (inserted)
      planWeights.push_back(global);
    return found->second;
  }

  struct Weight {
    std::string section;
    ArrayRef<char> data;
    /// Left out (--dummy-weights): the runtime fills it.
    bool dummy = false;
  };

  /// The index of the weight section holding `constant`'s data.
  FailureOr<int32_t> weightIndex(ConstantOp constant) {
    Attribute value = constant.getValue();
    auto found = weightIndices.find(value);
    if (found != weightIndices.end())
      return found->second;
    ArrayRef<char> data;
    if (std::optional<ArrayRef<char>> raw = getRawConstantData(value)) {
      data = *raw;
    } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
      // Splats and booleans: materialize every element.
      auto type = cast<RankedTensorType>(dense.getType());
      int64_t width = elementBytes(type.getElementType());
      std::vector<char> &bytes = owned.emplace_back(
          static_cast<size_t>(type.getNumElements() * width));
      if (type.getElementType().isInteger(1)) {
        int64_t i = 0;
        for (bool element : dense.getValues<bool>())
          bytes[i++] = element ? 1 : 0;
      } else {
        ArrayRef<char> one = dense.getRawData();
        for (int64_t i = 0; i < type.getNumElements(); ++i)
          std::memcpy(bytes.data() + i * width, one.data(), width);
      }
      data = bytes;
    } else {
      return constant.emitError("a weight without data (an IR printed with "
                                "--elide-weights?) cannot be written");
    }
    auto type = cast<RankedTensorType>(constant.getType());
    int64_t expected =
        type.getNumElements() * elementBytes(type.getElementType());
    if (static_cast<int64_t>(data.size()) != expected)
      return constant.emitError("weight holds ")
             << data.size() << " bytes for " << type << " (" << expected
             << " expected)";
    int32_t index =
        addWeight(value, data,
                  options.dummyWeights && isa<FloatType>(type.getElementType()),
                  type.getNumElements());
    weightIndices[value] = index;
    return index;
  }

  /// The section of `data` (named after `source`'s resource): a new one,
  /// or one with the same bytes already (the draft's weights shared with
  /// the target's).
  int32_t addWeight(Attribute source, ArrayRef<char> data, bool dummy,
                    int64_t parameters) {
    uint64_t hash = llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(data.data()), data.size()));
    for (int32_t same : byContent[hash])
      if (weights[same].data == data && weights[same].dummy == dummy)
        return same;
    std::string name = "weight " + std::to_string(weights.size());
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(source))
      name += " " + resource.getRawHandle().getKey().str();
    int32_t index = weights.size();
    weights.push_back({name, data, dummy});
    byContent[hash].push_back(index);
    summary.weightBytes += data.size();
    summary.weightTensors += 1;
    summary.parameters += parameters;
    return index;
  }

  /// The index of the weight section holding `op`'s packed weight, and
  /// its description.
  FailureOr<std::pair<int32_t, flatbuffers::Offset<fb::Quant>>>
  quantWeightIndex(QConstantOp op) {
    auto found = quantIndices.find(op.getData());
    if (found == quantIndices.end()) {
      FailureOr<PackedQuantWeight> packed = packQuantWeight(op);
      if (failed(packed))
        return failure();
      std::vector<char> &bytes = owned.emplace_back(std::move(packed->bytes));
      int32_t index = addWeight(op.getData(), bytes, options.dummyWeights,
                                packed->n * packed->k);
      found = quantIndices.insert({op.getData(), {index, *packed}}).first;
    }
    const auto &[index, packed] = found->second;
    auto quant =
        fb::CreateQuant(builder, static_cast<fb::QuantFormat>(packed.codes),
                        packed.group, packed.halfScales, packed.zeros);
    return std::make_pair(index, quant);
  }

  flatbuffers::Offset<fb::Value> makeValue(Type type, fb::ValueKind kind,
                                           uint64_t offset, uint64_t bytes,
                                           int32_t source, fb::DType dtype) {
    std::vector<flatbuffers::Offset<fb::Dim>> dims;
    for (const Dim &dim : getDims(cast<RankedTensorType>(type))) {
      if (dim.isStatic()) {
        dims.push_back(fb::CreateDim(builder, dim.getSize()));
        continue;
      }
      std::vector<flatbuffers::Offset<flatbuffers::String>> terms;
      if (dim.isNamed())
        for (StringRef term : symbolTerms(dim.getName().getValue()))
          terms.push_back(builder.CreateString(term.str()));
      dims.push_back(fb::CreateDim(builder, -1, builder.CreateVector(terms)));
    }
    return fb::CreateValue(builder, dtype, builder.CreateVector(dims), kind,
                           offset, bytes, source);
  }

  FailureOr<flatbuffers::Offset<fb::Entry>> emitEntry(func::FuncOp function) {
    auto arena = function->getAttrOfType<IntegerAttr>("plan.arena_bytes");
    auto maxBatch = function->getAttrOfType<IntegerAttr>("plan.max_batch");
    auto maxSeq = function->getAttrOfType<IntegerAttr>("plan.max_seq");
    if (!arena || !maxBatch || !maxSeq)
      return function.emitError("entry point @")
             << function.getName() << " has no memory plan (run plan-memory)";
    SmallVector<SymbolBinding> symbols =
        bindEntrySymbols(function, maxBatch.getInt(), maxSeq.getInt());
    summary.peakActivationBytes =
        std::max(summary.peakActivationBytes, arena.getInt());
    int64_t workerScratch = 0;
    if (auto perWorker =
            function->getAttrOfType<IntegerAttr>("plan.worker_scratch_bytes"))
      workerScratch = perWorker.getInt();
    summary.workerScratchBytes =
        std::max(summary.workerScratchBytes, workerScratch);

    DenseMap<Value, int32_t> ids;
    std::vector<flatbuffers::Offset<fb::Value>> values;
    auto add = [&](Value value, fb::ValueKind kind, uint64_t offset,
                   uint64_t bytes, int32_t source) -> LogicalResult {
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type)
        return emitError(value.getLoc(), "a plan value must be a ranked "
                                         "tensor, not ")
               << value.getType();
      FailureOr<fb::DType> dtype =
          dtypeOf(type.getElementType(), value.getLoc());
      if (failed(dtype))
        return failure();
      ids[value] = values.size();
      values.push_back(makeValue(type, kind, offset, bytes, source, *dtype));
      return success();
    };

    std::vector<int32_t> arguments, results;
    for (BlockArgument argument : function.getArguments()) {
      arguments.push_back(values.size());
      if (failed(add(argument, fb::ValueKind::argument, 0, 0,
                     argument.getArgNumber())))
        return failure();
    }
    std::vector<flatbuffers::Offset<fb::Step>> steps;
    for (Operation &op : function.getBody().getOps()) {
      if (auto constant = dyn_cast<ConstantOp>(op)) {
        FailureOr<int32_t> index = weightIndex(constant);
        if (failed(index) ||
            failed(add(constant, fb::ValueKind::weight, 0,
                       weights[*index].data.size(), localWeight(*index))))
          return failure();
        continue;
      }
      if (auto qconstant = dyn_cast<QConstantOp>(op)) {
        auto found = quantWeightIndex(qconstant);
        if (failed(found))
          return failure();
        QWeightType type = qconstant.getType();
        std::vector<flatbuffers::Offset<fb::Dim>> dims = {
            fb::CreateDim(builder, type.getOutFeatures()),
            fb::CreateDim(builder, type.getInFeatures())};
        ids[qconstant] = values.size();
        values.push_back(fb::CreateValue(
            builder, fb::DType::u8, builder.CreateVector(dims),
            fb::ValueKind::weight, 0, weights[found->first].data.size(),
            localWeight(found->first), found->second));
        continue;
      }
      if (auto view = dyn_cast<plan::ViewOp>(op)) {
        if (failed(add(view, fb::ValueKind::alias, 0, 0,
                       ids.lookup(view.getSource()))))
          return failure();
        continue;
      }
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (Value operand : ret.getOperands())
          results.push_back(ids.lookup(operand));
        continue;
      }
      auto call = dyn_cast<plan::CallOp>(op);
      if (!call)
        return op.emitError("cannot be written to an artifact: lower it "
                            "to plan first");
      std::optional<ArrayRef<int64_t>> offsets = call.getOffsets();
      if (!offsets)
        return call.emitError("has no planned offsets (run plan-memory)");
      std::optional<ArrayRef<int64_t>> aliases = call.getAliases();
      std::vector<int32_t> inputs, outputs;
      for (Value arg : call.getArgsByPosition())
        inputs.push_back(arg ? ids.lookup(arg) : -1);
      for (auto [index, result] : llvm::enumerate(call.getResults())) {
        outputs.push_back(values.size());
        LogicalResult added = success();
        if (aliases && (*aliases)[index] >= 0) {
          added = add(result, fb::ValueKind::alias, 0, 0,
                      ids.lookup(call.getArgs()[(*aliases)[index]]));
        } else {
          FailureOr<int64_t> bytes =
              boundBytes(result.getType(), symbols, call.getLoc());
          if (failed(bytes))
            return failure();
          added =
              add(result, fb::ValueKind::arena, (*offsets)[index], *bytes, -1);
        }
        if (failed(added))
          return failure();
      }
      if (failed(call.verifyContract()))
        return failure();
      int64_t scratchOffset = -1, scratchBytes = 0;
      if (std::optional<ArrayRef<int64_t>> scratch = call.getScratch()) {
        scratchOffset = (*scratch)[0];
        scratchBytes = (*scratch)[1];
      }
      steps.push_back(fb::CreateStep(
          builder, builder.CreateString(call.getKernel().str()),
          builder.CreateVector(inputs), builder.CreateVector(outputs),
          builder.CreateVector(params(call)),
          builder.CreateString(describeLocation(call.getLoc())), scratchOffset,
          static_cast<uint64_t>(scratchBytes)));
      if (countSteps)
        summary.steps += 1;
    }

    std::vector<flatbuffers::Offset<fb::Symbol>> bindings;
    for (const SymbolBinding &symbol : symbols)
      bindings.push_back(
          fb::CreateSymbol(builder, builder.CreateString(symbol.name),
                           symbol.argument, symbol.axis, symbol.bound));
    return fb::CreateEntry(
        builder, builder.CreateString(function.getName().str()),
        builder.CreateVector(bindings), builder.CreateVector(values),
        builder.CreateVector(arguments), builder.CreateVector(results),
        builder.CreateVector(steps), arena.getInt(), workerScratch);
  }

  /// The call's parameters in the artifact's forms, each as the kernel
  /// contract declares it (the call kept the contract: verifyContract).
  std::vector<flatbuffers::Offset<fb::Param>> params(plan::CallOp call) {
    const format::KernelDecl &kernel = *format::findKernel(call.getKernel());
    std::vector<flatbuffers::Offset<fb::Param>> out;
    for (NamedAttribute param : call.getParams()) {
      std::vector<int64_t> ints;
      std::vector<double> floats;
      Attribute value = param.getValue();
      switch (kernel.param(param.getName().getValue())->type) {
      case format::ParamType::flag:
        ints.push_back(1);
        break;
      case format::ParamType::integer:
      case format::ParamType::enumeration:
        ints.push_back(cast<IntegerAttr>(value).getValue().getSExtValue());
        break;
      case format::ParamType::real:
        floats.push_back(cast<FloatAttr>(value).getValueAsDouble());
        break;
      case format::ParamType::integers:
        llvm::append_range(ints, cast<DenseI64ArrayAttr>(value).asArrayRef());
        break;
      }
      out.push_back(fb::CreateParam(
          builder, builder.CreateString(param.getName().str()),
          builder.CreateVector(ints), builder.CreateVector(floats)));
    }
    return out;
  }

  const ArtifactOptions &options;
  ArtifactSummary &summary;
  flatbuffers::FlatBufferBuilder builder;
  std::vector<Weight> weights;
  DenseMap<Attribute, int32_t> weightIndices;
  /// Sections by the XXH3 of their bytes.
  std::map<uint64_t, std::vector<int32_t>> byContent;
  /// The plan being written: its weights (section indices) and where each
  /// section is in them; whether its steps are counted.
  std::vector<int32_t> planWeights;
  DenseMap<int32_t, int32_t> localIndices;
  bool countSteps = true;
  /// Quantized weights by their codes: section index and layout.
  DenseMap<Attribute, std::pair<int32_t, PackedQuantWeight>> quantIndices;
  std::deque<std::vector<char>> owned;
};

} // namespace

LogicalResult emitArtifact(ModuleOp module, const ArtifactOptions &options,
                           const std::string &path, ArtifactSummary *summary) {
  ArtifactSummary local;
  Emitter emitter(options, summary ? *summary : local);
  return emitter.emit(module, path);
}

} // namespace llmc
