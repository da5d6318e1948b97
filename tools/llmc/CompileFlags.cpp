//===- CompileFlags.cpp - llmc compile's pipeline flags -------------------===//

#include "tools/llmc/CompileFlags.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace llmc::tool {
namespace {

struct Flags {
  Flags(cl::SubCommand &command, cl::SubCommand &calibrate,
        cl::OptionCategory &category)
      : maxSeq("max-seq",
               cl::desc("Positions the KV cache holds (default: the model's "
                        "context, else 2048)"),
               cl::init(0), cl::sub(command), cl::sub(calibrate),
               cl::cat(category)),
        kvLayout("kv-layout",
                 cl::desc("The KV cache's layout: contiguous (max-seq "
                          "positions reserved per sequence; the default) or "
                          "paged (blocks from a pool sized at run time by "
                          "llmc-run --kv-memory; docs/kv-cache.md)"),
                 cl::init("contiguous"), cl::sub(command), cl::cat(category)),
        kvBlock("kv-block",
                cl::desc("--kv-layout paged: tokens per block, a power of "
                         "two up to --max-seq (default 16)"),
                cl::init(16), cl::sub(command), cl::cat(category)),
        kvDtype("kv-dtype",
                cl::desc("--kv-layout paged: hold keys and values as f32, "
                         "f16, bf16, int8 or fp8 (with a scale per block and "
                         "head; default: the compute type; docs/kv-cache.md)"),
                cl::sub(command), cl::cat(category)),
        kvWindow("kv-window",
                 cl::desc("--kv-layout paged: a sequence that would hold "
                          "more than --kv-sinks + W tokens evicts its "
                          "oldest after the sinks and goes on "
                          "(StreamingLLM; docs/kv-cache.md)"),
                 cl::init(0), cl::sub(command), cl::cat(category)),
        kvSinks("kv-sinks",
                cl::desc("--kv-window: the first tokens a sequence always "
                         "keeps (default 4)"),
                cl::init(4), cl::sub(command), cl::cat(category)),
        kvEvict("kv-evict",
                cl::desc("--kv-window: which tokens stay: window (the sinks "
                         "and the latest; the default) or h2o (the latest "
                         "half of the budget and the tokens that received "
                         "the most attention, per layer and head; CPU)"),
                cl::init("window"), cl::sub(command), cl::cat(category)),
        maxBatch("max-batch",
                 cl::desc("Sequences one call takes (memory is planned for "
                          "this many)"),
                 cl::init(1), cl::sub(command), cl::cat(category)),
        target("target",
               cl::desc("What to generate code for: cpu, or cuda: and the GPU "
                        "architectures (cuda:sm_80,sm_90)"),
               cl::init("cpu"), cl::sub(command), cl::cat(category)),
        nvcc("nvcc",
             cl::desc("The nvcc that compiles the CUDA target's generated "
                      "kernels (default: nvcc on the PATH, else "
                      "/usr/local/cuda/bin/nvcc)"),
             cl::value_desc("path"), cl::sub(command), cl::cat(category)),
        dtype("dtype",
              cl::desc("Element type of weights and activations: f32 (the cpu "
                       "target), f16 (the default for CUDA), bf16 or f32 "
                       "(CUDA)"),
              computeElementValues(), cl::sub(command), cl::cat(category)),
        method("quant", cl::desc("Quantize the weights of linear layers"),
               quantMethodValues(), cl::init(QuantMethod::none),
               cl::sub(command), cl::cat(category)),
        groupSize("group-size",
                  cl::desc("Inputs sharing a 4-bit scale (32, 64, 128, ...; "
                           "default 128)"),
                  cl::init(128), cl::sub(command), cl::cat(category)),
        zeroPoint("zero-point",
                  cl::desc("4-bit groups with zero points (asymmetric; "
                           "default on, --zero-point=false for symmetric)"),
                  cl::init(true), cl::sub(command), cl::cat(category)),
        actOrder("act-order",
                 cl::desc("GPTQ: round columns in order of decreasing "
                          "Hessian diagonal"),
                 cl::init(false), cl::sub(command), cl::cat(category)),
        fallback("fallback",
                 cl::desc("4-bit methods: keep a weight whose input features "
                          "the group size does not divide in int8 (per "
                          "output channel; the default) or fp32; a warning "
                          "names them"),
                 cl::value_desc("int8|fp32"), cl::init("int8"),
                 cl::sub(command), cl::cat(category)),
        strict("strict",
               cl::desc("4-bit methods: a weight the group size does not "
                        "divide is an error instead"),
               cl::init(false), cl::sub(command), cl::cat(category)),
        skip("skip",
             cl::desc("Layers to leave unquantized: lm_head, or any part of "
                      "a layer's ONNX node name (comma-separated)"),
             cl::CommaSeparated, cl::sub(command), cl::cat(category)),
        calib("calib",
              cl::desc("Calibration data: token-id sequences, one per line "
                       "(or a text, with --calib-tokenizer)"),
              cl::value_desc("file"), cl::sub(command), cl::sub(calibrate),
              cl::cat(category)),
        calibTokenizer("calib-tokenizer",
                       cl::desc("Read --calib as text (passages separated by "
                                "blank lines) with this SentencePiece model"),
                       cl::value_desc("tok.model"), cl::sub(command),
                       cl::sub(calibrate), cl::cat(category)),
        stats("stats",
              cl::desc("Calibration statistics written by llmc calibrate "
                       "(instead of --calib)"),
              cl::value_desc("model.stats"), cl::sub(command),
              cl::cat(category)),
        fp8Activations(
            "fp8-activations",
            cl::desc("--quant fp8: also round activations to E4M3 with a "
                     "per-tensor scale, from calibration (static, needs "
                     "--calib) or per call (dynamic); default none"),
            fp8ActivationValues(), cl::init(ActivationRounding::none),
            cl::sub(command), cl::cat(category)),
        int8Activations(
            "int8-activations",
            cl::desc("--quant int8: also round activations to int8 with a "
                     "scale per token (dynamic: W8A8, int8 GEMMs on the "
                     "GPU); default none"),
            int8ActivationValues(), cl::init(ActivationRounding::none),
            cl::sub(command), cl::cat(category)),
        pruneHeadsList(
            "prune-heads-list",
            cl::desc("Remove these query heads (or KV groups with "
                     "--prune-unit group), right after raising: "
                     "LAYER:HEAD,HEAD;LAYER:HEAD (layers in the order of "
                     "their attentions; docs/pruning.md)"),
            cl::value_desc("list"), cl::sub(command), cl::sub(calibrate),
            cl::cat(category)),
        pruneRatio("prune-heads",
                   cl::desc("Remove this share (0 to 1, exclusive) of the "
                            "model's heads, or KV groups with --prune-unit "
                            "group, the least important first by "
                            "--prune-score over --calib (docs/pruning.md)"),
                   cl::value_desc("ratio"), cl::init(0.0), cl::sub(command),
                   cl::sub(calibrate), cl::cat(category)),
        pruneUnit("prune-unit",
                  cl::desc("What --prune-heads and --prune-heads-list "
                           "remove: query (query heads inside each KV group; "
                           "default) or group (whole KV groups: the KV cache "
                           "shrinks)"),
                  cl::init("query"), cl::sub(command), cl::sub(calibrate),
                  cl::cat(category)),
        pruneScore("prune-score",
                   cl::desc("How --prune-heads ranks: norm (each head's "
                            "output norm; default), ablation (the "
                            "calibration loss without it) or random"),
                   cl::init("norm"), cl::sub(command), cl::sub(calibrate),
                   cl::cat(category)),
        pruneMinPerLayer("prune-min-per-layer",
                         cl::desc("The fewest heads (or groups) a layer "
                                  "keeps under --prune-heads (default 1)"),
                         cl::init(1), cl::sub(command), cl::sub(calibrate),
                         cl::cat(category)),
        pruneSeed("prune-seed", cl::desc("The seed of --prune-score random"),
                  cl::init(0), cl::sub(command), cl::sub(calibrate),
                  cl::cat(category)),
        pruneUniform("prune-uniform",
                     cl::desc("--prune-heads takes the same number from "
                              "every layer (else the lowest-ranked over all "
                              "layers)"),
                     cl::init(false), cl::sub(command), cl::sub(calibrate),
                     cl::cat(category)),
        insertPass("insert-pass",
                   cl::desc("Run passes at an extension point of the "
                            "pipeline: POINT=PIPELINE, e.g. "
                            "after-quant='my-pass{opt=1}' (points: "
                            "after-raise, after-kv-cache, after-quant, "
                            "before-lowering, after-fusion); repeatable"),
                   cl::value_desc("point=pipeline"), cl::sub(command),
                   cl::cat(category)),
        report("quant-report",
               cl::desc("Write each layer's output error on the calibration "
                        "inputs as JSON (needs --calib)"),
               cl::value_desc("file.json"), cl::sub(command),
               cl::cat(category)),
        draft("draft",
              cl::desc("Compile for speculative decoding with this draft: "
                       "ngram[:n=N] (n-gram lookup), draft.onnx (a smaller "
                       "model with the same vocabulary) or "
                       "self:layers=N[,quant=int4][,prune=R] (the model's "
                       "first N layers; docs/speculative.md)"),
              cl::value_desc("draft"), cl::sub(command), cl::cat(category)),
        maxDraftTokens("max-draft-tokens",
                       cl::desc("With --draft: the most drafted tokens one "
                                "verify call takes (default 8)"),
                       cl::init(8), cl::sub(command), cl::cat(category)),
        tp("tp",
           cl::desc("Tensor-parallel ranks: the artifact holds each rank's "
                    "share of every layer; run it with mpirun -np N "
                    "llmc-run (docs/parallel.md)"),
           cl::init(1), cl::sub(command), cl::cat(category)),
        pp("pp",
           cl::desc("Pipeline stages: each holds a range of the layers, "
                    "balanced by weight bytes; with --tp T, T x P ranks "
                    "(mpirun -np T*P llmc-run; docs/parallel.md)"),
           cl::init(1), cl::sub(command), cl::cat(category)) {}

  cl::opt<int64_t> maxSeq;
  cl::opt<std::string> kvLayout, kvDtype;
  cl::opt<int64_t> kvBlock, maxBatch, kvWindow, kvSinks;
  cl::opt<std::string> kvEvict;
  cl::opt<std::string> target, nvcc;
  cl::opt<ComputeElement> dtype;
  cl::opt<QuantMethod> method;
  cl::opt<int64_t> groupSize;
  cl::opt<bool> zeroPoint, actOrder;
  cl::opt<std::string> fallback;
  cl::opt<bool> strict;
  cl::list<std::string> skip;
  cl::opt<std::string> calib, calibTokenizer, stats;
  cl::opt<ActivationRounding> fp8Activations, int8Activations;
  cl::opt<std::string> pruneHeadsList;
  cl::opt<double> pruneRatio;
  cl::opt<std::string> pruneUnit, pruneScore;
  cl::opt<int64_t> pruneMinPerLayer;
  cl::opt<uint64_t> pruneSeed;
  cl::opt<bool> pruneUniform;
  cl::list<std::string> insertPass;
  cl::opt<std::string> report;
  cl::opt<std::string> draft;
  cl::opt<int64_t> maxDraftTokens;
  cl::opt<int64_t> tp, pp;

  /// Every flag that sets a pipeline option.
  std::vector<cl::Option *> pipelineFlags() {
    // std::addressof: cl::list's operator& is its storage's.
    return {&maxSeq,
            &kvLayout,
            &kvBlock,
            &kvDtype,
            &kvWindow,
            &kvSinks,
            &kvEvict,
            &maxBatch,
            &tp,
            &pp,
            &target,
            &nvcc,
            &dtype,
            &method,
            &groupSize,
            &zeroPoint,
            &actOrder,
            &fallback,
            &strict,
            std::addressof(skip),
            &calib,
            &calibTokenizer,
            &stats,
            &fp8Activations,
            &int8Activations,
            &pruneHeadsList,
            &pruneRatio,
            &pruneUnit,
            &pruneScore,
            &pruneMinPerLayer,
            &pruneSeed,
            &pruneUniform,
            &draft,
            &maxDraftTokens,
            std::addressof(insertPass)};
  }
};

std::unique_ptr<Flags> flags;

LogicalResult fail(const llvm::Twine &message) {
  llvm::errs() << "llmc compile: " << message << "\n";
  return failure();
}

} // namespace

void registerCompileFlags(cl::SubCommand &command, cl::SubCommand &calibrate,
                          cl::OptionCategory &category) {
  flags = std::make_unique<Flags>(command, calibrate, category);
}

CalibrationRequest calibrationFlags() {
  return {flags->calib, flags->calibTokenizer, flags->maxSeq};
}

LogicalResult pruneOptions(CompileOptions &o) {
  Flags &f = *flags;
  if (!f.pruneHeadsList.empty() && f.pruneRatio.getNumOccurrences())
    return fail("--prune-heads and --prune-heads-list both choose the heads "
                "to remove: give one");
  const bool ranked = f.pruneRatio.getNumOccurrences() > 0;
  for (cl::Option *flag : {static_cast<cl::Option *>(&f.pruneScore),
                           static_cast<cl::Option *>(&f.pruneMinPerLayer),
                           static_cast<cl::Option *>(&f.pruneSeed),
                           static_cast<cl::Option *>(&f.pruneUniform)})
    if (flag->getNumOccurrences() && !ranked)
      return fail("--" + flag->ArgStr + " applies to --prune-heads RATIO");
  if (f.pruneUnit.getNumOccurrences() && !ranked && f.pruneHeadsList.empty())
    return fail("--prune-unit applies to --prune-heads or --prune-heads-list");
  if (ranked && !(f.pruneRatio >= 0.0 && f.pruneRatio < 1.0))
    return fail(llvm::formatv("--prune-heads {0} is outside [0, 1): the "
                              "share of heads to remove",
                              f.pruneRatio.getValue())
                    .str());
  if (ranked && f.pruneScore != "random" && f.calib.empty())
    return fail("--prune-heads ranks heads on the model's outputs over "
                "--calib FILE (--stats holds a pruned model's statistics)");
  o.pruneHeadsList = f.pruneHeadsList;
  o.pruneHeads = f.pruneRatio;
  o.pruneUnit = f.pruneUnit;
  o.pruneScore = f.pruneScore;
  o.pruneMinPerLayer = f.pruneMinPerLayer;
  o.pruneSeed = f.pruneSeed;
  o.pruneUniform = f.pruneUniform;
  o.calib = f.calib;
  o.calibTokenizer = f.calibTokenizer;
  return success();
}

LogicalResult compileOptions(CompileOptions &o) {
  Flags &f = *flags;
  // The pipeline checks values; what it cannot see is a flag given with
  // its default value where it means nothing.
  if (!isFourBit(f.method) &&
      (f.groupSize.getNumOccurrences() || f.zeroPoint.getNumOccurrences()))
    return fail("--group-size and --zero-point apply to 4-bit methods "
                "(rtn-int4, gptq-int4, awq-int4); int8 and fp8 scale each "
                "output channel");
  if (!isFourBit(f.method) &&
      (f.fallback.getNumOccurrences() || f.strict.getNumOccurrences()))
    return fail("--fallback and --strict apply to 4-bit methods (rtn-int4, "
                "gptq-int4, awq-int4): what to do with a weight the group "
                "size does not divide");
  if (f.fallback != "int8" && f.fallback != "fp32")
    return fail("--fallback " + f.fallback + ": expected int8 or fp32");
  if (f.strict && f.fallback.getNumOccurrences())
    return fail("--strict makes an undivided weight an error: it takes no "
                "--fallback");
  if (f.fp8Activations.getNumOccurrences() && f.method != QuantMethod::fp8)
    return fail("--fp8-activations applies to --quant fp8");
  if (f.int8Activations.getNumOccurrences() && f.method != QuantMethod::int8)
    return fail("--int8-activations applies to --quant int8");
  if (!f.report.empty() && f.calib.empty() && f.stats.empty())
    return fail("--quant-report needs --calib or --stats (the errors are "
                "measured on the calibration inputs)");
  bool cuda = llvm::StringRef(f.target).starts_with("cuda");
  o.maxSeq = f.maxSeq;
  o.maxBatch = f.maxBatch;
  if (f.kvBlock.getNumOccurrences() && f.kvLayout != "paged")
    return fail("--kv-block applies to --kv-layout paged");
  o.kvLayout = f.kvLayout;
  o.kvDtype = f.kvDtype;
  o.kvBlock = f.kvBlock;
  if ((f.kvSinks.getNumOccurrences() || f.kvEvict.getNumOccurrences()) &&
      f.kvWindow == 0)
    return fail("--kv-sinks and --kv-evict apply to --kv-window");
  o.kvWindow = f.kvWindow;
  o.kvSinks = f.kvSinks;
  o.kvEvict = f.kvEvict;
  if (f.tp < 1)
    return fail(llvm::formatv("--tp {0}: at least 1 rank", f.tp.getValue()));
  if (f.pp < 1)
    return fail(llvm::formatv("--pp {0}: at least 1 stage", f.pp.getValue()));
  if (f.tp > 1 && !f.draft.empty())
    return fail("--draft and --tp do not go together: speculative decoding "
                "runs on one rank (docs/parallel.md)");
  if (f.pp > 1 && !f.draft.empty())
    return fail(llvm::formatv(
        "--draft with --pp {0}: speculative decoding runs on one stage; "
        "compile the pipeline without a draft (docs/parallel.md)",
        f.pp.getValue()));
  o.tp = f.tp;
  o.pp = f.pp;
  o.target = f.target;
  o.nvcc = f.nvcc;
  o.dtype = f.dtype.getNumOccurrences() || !cuda ? f.dtype.getValue()
                                                 : ComputeElement::f16;
  o.quant = f.method;
  o.groupSize = f.groupSize;
  o.zeroPoint = f.zeroPoint;
  o.actOrder = f.actOrder;
  o.quantFallback = f.strict ? std::string("error") : f.fallback.getValue();
  o.skip = llvm::ArrayRef<std::string>(
      std::vector<std::string>(f.skip.begin(), f.skip.end()));
  o.calib = f.calib;
  o.calibTokenizer = f.calibTokenizer;
  o.stats = f.stats;
  o.fp8Activations = f.fp8Activations;
  o.int8Activations = f.int8Activations;
  if (f.maxDraftTokens.getNumOccurrences() && f.draft.empty())
    return fail("--max-draft-tokens applies to --draft");
  if (!f.draft.empty()) {
    if (f.maxDraftTokens < 1 || f.maxDraftTokens > kMostDraftTokens)
      return fail(llvm::formatv("--max-draft-tokens {0} is outside 1..{1}",
                                f.maxDraftTokens.getValue(), kMostDraftTokens)
                      .str());
    o.maxDraftTokens = f.maxDraftTokens;
  }
  if (failed(pruneOptions(o)))
    return failure();
  for (const std::string &insertion : f.insertPass) {
    auto [point, text] = llvm::StringRef(insertion).split('=');
    if (text.empty())
      return fail("--insert-pass '" + insertion +
                  "': expected POINT=PIPELINE (e.g. "
                  "after-quant='my-pass{opt=1}')");
    o.insertions.emplace_back(point.trim().str(), text.trim().str());
  }
  return success();
}

FailureOr<std::optional<DraftSpec>> draftFlags() {
  if (flags->draft.empty())
    return std::optional<DraftSpec>();
  std::string error;
  FailureOr<DraftSpec> spec = parseDraftSpec(flags->draft, error);
  if (failed(spec)) {
    (void)fail("--draft " + flags->draft + ": " + error);
    return failure();
  }
  return std::optional<DraftSpec>(*spec);
}

std::vector<std::string> givenPipelineFlags() {
  std::vector<std::string> given;
  for (cl::Option *flag : flags->pipelineFlags())
    if (flag->getNumOccurrences())
      given.push_back("--" + flag->ArgStr.str());
  return given;
}

std::string quantizationSummary() {
  Flags &f = *flags;
  auto activations = [](ActivationRounding rounding) {
    return rounding == ActivationRounding::dynamic ? "dynamic" : "static";
  };
  switch (f.method) {
  case QuantMethod::none:
    return "";
  case QuantMethod::int8:
    return f.int8Activations == ActivationRounding::none
               ? "int8 (per channel)"
               : std::string("int8 (per channel; activations per token, ") +
                     activations(f.int8Activations) + ")";
  case QuantMethod::fp8:
    return f.fp8Activations == ActivationRounding::none
               ? "fp8 E4M3 (per channel)"
               : std::string("fp8 E4M3 (per channel; activations per tensor, "
                             "") +
                     activations(f.fp8Activations) + ")";
  case QuantMethod::rtnInt4:
  case QuantMethod::gptqInt4:
  case QuantMethod::awqInt4:
    return llvm::formatv("{0} (group {1}, {2}{3})", quantMethodName(f.method),
                         f.groupSize.getValue(),
                         f.zeroPoint ? "zero points" : "symmetric",
                         f.actOrder ? ", act-order" : "")
        .str();
  }
  return "";
}

LogicalResult writeQuantizationReport(ModuleOp module) {
  if (flags->report.empty())
    return success();
  llvm::json::Object layers;
  double total = 0;
  int64_t count = 0;
  if (auto errors = module->getAttrOfType<DictionaryAttr>("llmc.quant_errors"))
    for (NamedAttribute error : errors) {
      double value = cast<FloatAttr>(error.getValue()).getValueAsDouble();
      layers[error.getName().getValue()] = value;
      total += value;
      ++count;
    }
  int64_t tokens = 0;
  if (auto seen = module->getAttrOfType<DictionaryAttr>("llmc.calibration"))
    if (auto value = seen.getAs<IntegerAttr>("tokens"))
      tokens = value.getInt();
  llvm::json::Object out{
      {"method", quantizationSummary()},
      {"calibration_tokens", tokens},
      {"mean_relative_output_error", count ? total / count : 0.0},
      {"layers", std::move(layers)}};
  std::string error;
  auto file = openOutputFile(flags->report, &error);
  if (!file)
    return fail(error);
  file->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(out)))
             << "\n";
  file->keep();
  return success();
}

} // namespace llmc::tool
