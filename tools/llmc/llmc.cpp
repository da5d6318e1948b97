//===- llmc.cpp - the compiler driver: ONNX model to .llmc artifact -------===//
//
// llmc compile model.onnx -o model.llmc [pipeline flags (CompileFlags.h)]
//              [--bos ID] [--eos ID,...] [--dummy-weights]
//              [--tokenizer tok.model] [--chat-template FILE|chatml|llama2]
//              [--print-plan FILE] [--emit-cuda FILE]
//              [--pass-pipeline TEXT | --print-pipeline]
//              [--load-pass-plugin lib.so ...]
//              [MLIR's pass-manager flags: --mlir-timing, ...]
// Imports the model, runs ONE pass manager over it, with the compile
// pipeline of the flags (passes/Pipeline.h) or the --pass-pipeline text,
// then writes the artifact (through a temporary file: a failed or killed
// compile leaves no output). One progress line per top-level pass on
// stderr, and a summary at the end.
//
//===----------------------------------------------------------------------===//

#include "compiler/PassPlugins.h"
#include "compiler/Registration.h"
#include "compiler/ToolDiagnostics.h"
#include "compiler/artifact/EmitArtifact.h"
#include "compiler/import/OnnxImporter.h"
#include "passes/Pipeline.h"
#include "passes/codegen/cuda/EmitCudaSource.h"
#include "runtime/format/Artifact.h"
#include "runtime/format/Progress.h"
#include "runtime/format/Version.h"
#include "tools/llmc/CalibrateCommand.h"
#include "tools/llmc/CompileFlags.h"
#include "tools/llmc/DraftCompile.h"
#include "tools/llmc/PruneReportCommand.h"
#include "tools/llmc/ServingFiles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <csignal>
#include <mutex>

using namespace mlir;

static llvm::cl::SubCommand compileCommand("compile",
                                           "Compile an ONNX model to a .llmc "
                                           "artifact");
static llvm::cl::SubCommand
    calibrateCommand("calibrate",
                     "Run an ONNX model on calibration data and write what "
                     "the inputs of its weights saw (for --stats)");
static llvm::cl::OptionCategory compileOptions("llmc compile options");

static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                            llvm::cl::desc("<model.onnx>"),
                                            llvm::cl::sub(compileCommand),
                                            llvm::cl::sub(calibrateCommand),
                                            llvm::cl::cat(compileOptions));
static llvm::cl::opt<std::string>
    outputPath("o",
               llvm::cl::desc("The artifact (or, llmc calibrate, the "
                              "statistics) to write"),
               llvm::cl::value_desc("model.llmc"),
               llvm::cl::sub(compileCommand), llvm::cl::sub(calibrateCommand),
               llvm::cl::cat(compileOptions));
static llvm::cl::opt<int64_t> bosId("bos",
                                    llvm::cl::desc("Beginning-of-sequence "
                                                   "token id to record"),
                                    llvm::cl::init(-1),
                                    llvm::cl::sub(compileCommand),
                                    llvm::cl::cat(compileOptions));
static llvm::cl::list<int64_t>
    eosIds("eos", llvm::cl::desc("End-of-sequence token ids to record"),
           llvm::cl::CommaSeparated, llvm::cl::sub(compileCommand),
           llvm::cl::cat(compileOptions));
static llvm::cl::opt<std::string> tokenizerPath(
    "tokenizer",
    llvm::cl::desc("Store this tokenizer in the artifact, for llmc-run "
                   "serve, chat and generate --prompt: a SentencePiece "
                   "model or a Hugging Face tokenizer.json (with the "
                   "tokenizer_config.json beside it)"),
    llvm::cl::value_desc("tok.model|tokenizer.json"),
    llvm::cl::sub(compileCommand), llvm::cl::cat(compileOptions));
static llvm::cl::opt<std::string> chatTemplate(
    "chat-template",
    llvm::cl::desc("Store a chat template in the artifact, for llmc-run "
                   "serve's /v1/chat/completions: a Jinja file (the subset "
                   "of docs/serving.md), or chatml or llama2"),
    llvm::cl::value_desc("FILE|chatml|llama2"), llvm::cl::sub(compileCommand),
    llvm::cl::cat(compileOptions));
static llvm::cl::opt<bool>
    quiet("quiet",
          llvm::cl::desc("No progress on standard error (each pass's time, "
                         "calibration, quantization weight by weight); the "
                         "summary stays"),
          llvm::cl::sub(compileCommand), llvm::cl::cat(compileOptions));
static llvm::cl::opt<std::string>
    printPlan("print-plan",
              llvm::cl::desc("Also write the planned IR to this file"),
              llvm::cl::value_desc("file"), llvm::cl::sub(compileCommand),
              llvm::cl::cat(compileOptions));

static llvm::cl::opt<std::string>
    emitCuda("emit-cuda",
             llvm::cl::desc("Also write the generated CUDA C++ to this file"),
             llvm::cl::value_desc("file.cu"), llvm::cl::sub(compileCommand),
             llvm::cl::cat(compileOptions));

static llvm::cl::opt<std::string> passPipeline(
    "pass-pipeline",
    llvm::cl::desc("Run this textual pipeline instead of the flags' "
                   "(builtin.module(...), as --print-pipeline prints it)"),
    llvm::cl::value_desc("pipeline"), llvm::cl::sub(compileCommand),
    llvm::cl::cat(compileOptions));
// Loaded by main() before the command line is parsed (compiler/
// PassPlugins.h); declared for --help and the parser.
static llvm::cl::list<std::string> passPlugins(
    "load-pass-plugin",
    llvm::cl::desc("Load passes from this plugin (MLIR's PassPlugin ABI), "
                   "for --insert-pass, --pass-pipeline and "
                   "--mlir-print-ir-after; repeatable"),
    llvm::cl::value_desc("lib.so"), llvm::cl::sub(compileCommand),
    llvm::cl::cat(compileOptions));
static llvm::cl::opt<bool> printPipeline(
    "print-pipeline",
    llvm::cl::desc("Print the pipeline the flags choose, as text for "
                   "--pass-pipeline, and compile nothing"),
    llvm::cl::sub(compileCommand), llvm::cl::cat(compileOptions));

static llvm::cl::opt<bool> dummyWeights(
    "dummy-weights",
    llvm::cl::desc("Leave the float and quantized weights out of the "
                   "artifact; llmc-run fills them with deterministic "
                   "pseudo-random values (for benchmarks of large shapes)"),
    llvm::cl::sub(compileCommand), llvm::cl::cat(compileOptions));

namespace {

using Clock = std::chrono::steady_clock;

std::string bytes(int64_t count) {
  if (count >= (1 << 30))
    return llvm::formatv("{0:F2} GiB", count / double(1 << 30)).str();
  if (count >= (1 << 20))
    return llvm::formatv("{0:F2} MiB", count / double(1 << 20)).str();
  return llvm::formatv("{0:F1} KiB", count / 1024.0).str();
}

void progress(llvm::StringRef step, Clock::time_point start) {
  if (quiet)
    return;
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  llvm::errs() << llvm::formatv("llmc: {0,-28} {1,6:F2} s\n", step, seconds);
}

/// One progress line per pass of the pipeline, and the name of every pass,
/// once, in the order they first run.
class Progress : public PassInstrumentation {
public:
  explicit Progress(std::vector<std::string> &names) : names(names) {}

  void runBeforePass(Pass *pass, Operation *op) override {
    std::string name = pass->getArgument().str();
    std::lock_guard<std::mutex> lock(mutex);
    if (!name.empty() && llvm::find(names, name) == names.end())
      names.push_back(name);
    if (!op->getParentOp())
      starts.push_back(Clock::now());
  }
  void runAfterPass(Pass *pass, Operation *op) override {
    if (op->getParentOp())
      return;
    std::lock_guard<std::mutex> lock(mutex);
    // Not the pipelines a pass runs itself (llmc-fold-and-raise's).
    if (starts.size() == 1) {
      std::string name = pass->getArgument().str();
      if (name.empty()) {
        llvm::raw_string_ostream os(name);
        pass->printAsTextualPipeline(os);
      }
      progress(name, starts.back());
    }
    starts.pop_back();
  }
  void runAfterPassFailed(Pass *pass, Operation *op) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (!op->getParentOp())
      starts.pop_back();
  }

private:
  std::vector<std::string> &names;
  std::vector<Clock::time_point> starts;
  std::mutex mutex;
};

int fail(const llvm::Twine &message) {
  llvm::errs() << "llmc compile: " << message << "\n";
  return 1;
}

/// How llmc::buildCompilePipeline reports options that do not go together.
LogicalResult pipelineError(const llvm::Twine &message) {
  fail(message);
  return failure();
}

/// The pipeline of --pass-pipeline, or of the flags (as `options`), in
/// `pm`; 1 or 2 (the exit code) after printing why not.
int buildPipeline(PassManager &pm, llmc::CompileOptions &options) {
  if (failed(llmc::tool::compileOptions(options)))
    return 1;
  if (passPipeline.empty()) {
    if (!emitCuda.empty() &&
        !llvm::StringRef(options.target).starts_with("cuda:"))
      return fail("--emit-cuda needs --target cuda:...");
    return failed(llmc::buildCompilePipeline(pm, options, pipelineError)) ? 1
                                                                          : 0;
  }
  std::vector<std::string> given = llmc::tool::givenPipelineFlags();
  if (!given.empty())
    return fail("--pass-pipeline replaces the pipeline that " +
                llvm::join(given, ", ") +
                " would choose: give them as options of its passes "
                "(--print-pipeline shows where)");
  std::string message;
  llvm::raw_string_ostream os(message);
  FailureOr<OpPassManager> parsed = parsePassPipeline(passPipeline, os);
  if (failed(parsed))
    return fail("--pass-pipeline: " + llvm::StringRef(message).trim());
  if (parsed->getOpAnchorName() != ModuleOp::getOperationName())
    return fail("--pass-pipeline: the pipeline must run on builtin.module, "
                "not " +
                parsed->getOpAnchorName());
  static_cast<OpPassManager &>(pm) = std::move(*parsed);
  return 0;
}

LogicalResult writeFile(const std::string &path,
                        llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "llmc compile: " << error << "\n";
    return failure();
  }
  write(file->os());
  file->keep();
  return success();
}

int compile() {
  if ((inputPath.empty() || outputPath.empty()) && !printPipeline) {
    llvm::errs() << "llmc compile: usage: llmc compile model.onnx -o "
                    "model.llmc [--max-seq N]\n";
    return 2;
  }
  std::string quantName = llmc::tool::quantizationSummary();
  DialectRegistry registry;
  llmc::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors name their node or op; the whole module is no help to a user.
  context.printOpOnDiagnostic(false);
  auto diagnostics = llmc::printToolDiagnostics(context, "llmc");

  PassManager pm = PassManager::on<ModuleOp>(&context);
  llmc::CompileOptions options;
  if (int code = buildPipeline(pm, options))
    return code;
  llmc::runtime::Progress::setQuiet(quiet);
  FailureOr<std::optional<llmc::tool::DraftSpec>> draft =
      llmc::tool::draftFlags();
  if (failed(draft))
    return 1;
  const bool draftModel =
      *draft && (*draft)->kind != llmc::tool::DraftSpec::Kind::ngram;
  FailureOr<llmc::tool::ServingFiles> serving =
      llmc::tool::readServingFiles(tokenizerPath, chatTemplate, inputPath);
  if (failed(serving))
    return 1;
  std::vector<std::pair<std::string, std::string>> servingFiles =
      std::move(serving->sections);
  if (printPipeline) {
    pm.printAsTextualPipeline(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  applyDefaultTimingPassManagerCLOptions(pm);
  std::vector<std::string> passesRun;
  pm.addInstrumentation(std::make_unique<Progress>(passesRun));

  Clock::time_point start = Clock::now();
  FailureOr<OwningOpRef<ModuleOp>> imported =
      llmc::importOnnxFile(context, inputPath, llmc::OnnxImportOptions());
  if (failed(imported))
    return 1;
  OwningOpRef<ModuleOp> module = std::move(*imported);
  progress("import ONNX", start);
  // The special tokens: the flags', else the model's metadata.
  llmc::tool::SpecialTokens tokens =
      llmc::tool::specialTokensOf(*module, bosId, eosIds);
  // A self-draft starts from the target as imported.
  OwningOpRef<ModuleOp> original;
  if (draftModel)
    original = OwningOpRef<ModuleOp>(cast<ModuleOp>((*module)->clone()));
  // Tensor and pipeline parallelism: ranks 1.. each run the pipeline on
  // the model as imported, keeping their share (the module is rank 0's).
  // Rank r is tensor-parallel rank r % tp of stage r / tp.
  std::vector<OwningOpRef<ModuleOp>> ranks;
  for (int64_t r = 1; r < options.tp * options.pp; ++r)
    ranks.emplace_back(cast<ModuleOp>((*module)->clone()));
  if (failed(pm.run(*module)) ||
      failed(llmc::tool::writeQuantizationReport(*module)))
    return 1;
  for (size_t r = 0; r < ranks.size(); ++r) {
    PassManager rankPm = PassManager::on<ModuleOp>(&context);
    options.tpRank = (int64_t(r) + 1) % options.tp;
    options.ppStage = (int64_t(r) + 1) / options.tp;
    if (failed(llmc::buildCompilePipeline(rankPm, options, pipelineError)) ||
        failed(applyPassManagerCLOptions(rankPm)))
      return 1;
    if (failed(rankPm.run(*ranks[r])))
      return 1;
  }
  OwningOpRef<ModuleOp> draftModule;
  if (draftModel) {
    FailureOr<OwningOpRef<ModuleOp>> compiled = llmc::tool::compileDraft(
        **draft, *original, *module, options, tokens,
        [&](PassManager &draftPm) {
          draftPm.addInstrumentation(std::make_unique<Progress>(passesRun));
        });
    if (failed(compiled))
      return 1;
    draftModule = std::move(*compiled);
  }
  auto target = (*module)->getAttrOfType<StringAttr>("llmc.target");
  if (!emitCuda.empty()) {
    auto sections = (*module)->getAttrOfType<DictionaryAttr>("llmc.sections");
    auto source =
        sections ? sections.getAs<StringAttr>("cuda source") : StringAttr();
    if (!target)
      return fail("--emit-cuda needs --target cuda:...");
    if (failed(writeFile(emitCuda, [&](llvm::raw_ostream &os) {
          if (source)
            os << source.getValue();
        })))
      return 1;
  }
  if (!printPlan.empty() &&
      failed(writeFile(printPlan, [&](llvm::raw_ostream &os) {
        OpPrintingFlags flags;
        flags.elideLargeResourceString().elideLargeElementsAttrs();
        module->print(os, flags);
      })))
    return 1;

  // The tokenizer's ids must be the model's: the widest first result is
  // the logits (a pipeline stage's other entry points give hidden states).
  int64_t vocabulary = 0;
  for (auto function : module->getOps<func::FuncOp>())
    if (auto logits =
            dyn_cast<RankedTensorType>(function.getFunctionType().getResult(0));
        logits && !ShapedType::isDynamic(logits.getShape().back()))
      vocabulary = std::max(vocabulary, logits.getShape().back());
  if (vocabulary && serving->tokenizerPieces > vocabulary) {
    std::string problem = serving->tokenizerPath + " has " +
                          std::to_string(serving->tokenizerPieces) +
                          " tokens, more than the model's vocabulary of " +
                          std::to_string(vocabulary);
    if (!serving->tokenizerBeside)
      return fail("--tokenizer " + problem);
    // Found beside the model: said, and left out.
    serving->warnings.push_back(problem + ": the artifact has no tokenizer");
    serving->tokenizerPieces = 0;
    llvm::erase_if(servingFiles, [](const auto &section) {
      return section.first == llmc::runtime::ModelInfo::kTokenizerSection ||
             section.first == llmc::runtime::ModelInfo::kTokenizerConfigSection;
    });
  }
  llmc::ArtifactSummary summary;
  llmc::ArtifactOptions artifact;
  artifact.producer = std::string("llmc ") + llmc::runtime::llmcVersion();
  artifact.bosId = tokens.bos;
  artifact.eosIds = tokens.eos;
  artifact.dummyWeights = dummyWeights;
  if (*draft) {
    artifact.draftSource = (*draft)->text;
    if (draftModel)
      artifact.draft = *draftModule;
    else
      artifact.ngram = (*draft)->ngram;
  }
  for (OwningOpRef<ModuleOp> &rank : ranks)
    artifact.ranks.push_back(*rank);
  artifact.files = std::move(servingFiles);
  start = Clock::now();
  if (failed(llmc::emitArtifact(*module, artifact, outputPath, &summary)))
    return 1;
  progress("write artifact", start);

  llvm::raw_ostream &os = llvm::errs();
  os << "llmc: wrote " << outputPath << "\n";
  os << "  parameters        " << summary.parameters << " in "
     << summary.weightTensors << " weight tensors, "
     << bytes(summary.weightBytes) << "\n";
  if (!quantName.empty())
    os << "  quantized         " << quantName << "\n";
  if (options.tp > 1)
    os << "  tensor parallel   " << options.tp.getValue()
       << " ranks, each with its share of every layer\n";
  if (options.pp > 1) {
    // Each stage's layers, from its first rank's module (rank 0 is stage
    // 0's; stage s's first rank is s x tp).
    os << "  pipeline          " << options.pp.getValue() << " stages:";
    for (int64_t s = 0; s < options.pp; ++s) {
      ModuleOp stage = s == 0 ? *module : *ranks[s * options.tp - 1];
      auto cut = stage->getAttrOfType<DictionaryAttr>("llmc.pipeline");
      auto first = cut ? cut.getAs<IntegerAttr>("first_layer") : nullptr;
      auto count = cut ? cut.getAs<IntegerAttr>("layers") : nullptr;
      if (first && count)
        os << (s ? ", " : " ") << "layers " << first.getInt() << "-"
           << first.getInt() + count.getInt() - 1;
    }
    os << "\n";
  }
  if (options.tp * options.pp > 1)
    os << "  ranks             " << options.tp * options.pp
       << " (figures below: rank 0's; run with mpirun -np "
       << options.tp * options.pp << " llmc-run)\n";
  if (dummyWeights)
    os << "  weights           left out (--dummy-weights): llmc-run fills "
          "them with pseudo-random values\n";
  if (serving->tokenizerPieces)
    os << "  tokenizer         " << serving->tokenizerKind << ", "
       << serving->tokenizerPieces << " tokens (" << serving->tokenizerPath
       << ")\n";
  if (!serving->chatTemplateSource.empty())
    os << "  chat template     " << serving->chatTemplateSource << "\n";
  for (const std::string &warning : serving->warnings)
    os << "  warning           " << warning << "\n";
  os << "  passes            ";
  llvm::interleaveComma(passesRun, os);
  if (target) {
    // The compute type is the logits' (the first result of each entry).
    Type compute;
    for (auto function : module->getOps<func::FuncOp>())
      if (auto logits = dyn_cast<RankedTensorType>(
              function.getFunctionType().getResult(0)))
        compute = logits.getElementType();
    int64_t generated = llmc::codegen::cuda::countGeneratedKernels(*module);
    os << "\n  target            " << target.getValue() << ", " << compute
       << ": " << generated << " generated kernel"
       << (generated == 1 ? "" : "s");
  }
  os << "\n  plan              " << summary.steps << " kernel calls in "
     << summary.entries << "\n";
  os << "  peak activations  " << bytes(summary.peakActivationBytes);
  if (summary.workerScratchBytes)
    os << " + " << bytes(summary.workerScratchBytes) << " per thread";
  if (summary.maxSeq)
    os << " (batch " << summary.maxBatch << ", " << summary.maxSeq
       << " tokens)";
  // The CUDA kernels' intermediates are not in the plan (docs/gpu.md).
  if (target)
    os << ", plus the device scratch the CUDA kernels size at run time";
  os << "\n";
  if (summary.maxSeq && summary.cacheBlockTokens) {
    const int64_t blocks = (summary.maxSeq + summary.cacheBlockTokens - 1) /
                           summary.cacheBlockTokens;
    os << "  KV cache          paged: blocks of " << summary.cacheBlockTokens
       << " tokens, " << bytes(summary.cacheBlockBytes) << " each, " << blocks
       << " per sequence of " << summary.maxSeq << " tokens at most\n";
    if (summary.cacheEvict == "window")
      os << "  KV eviction       window: past "
         << summary.cacheSinks + summary.cacheWindow
         << " tokens a sequence keeps its first " << summary.cacheSinks
         << " and its latest, up to " << summary.cacheWindow
         << " (positions within the cache)\n";
    else if (!summary.cacheEvict.empty())
      os << "  KV eviction       " << summary.cacheEvict << ": past "
         << summary.cacheSinks + summary.cacheWindow
         << " tokens a sequence keeps, per layer and kv head, its latest "
         << summary.cacheWindow / 2 << " and the "
         << summary.cacheSinks + summary.cacheWindow - summary.cacheWindow / 2
         << " others that received the most attention (positions within "
            "the cache)\n";
  } else if (summary.maxSeq) {
    os << "  KV cache          " << bytes(summary.cacheBytesPerSequence)
       << " per sequence of " << summary.maxSeq << " tokens\n";
  }
  if (*draft)
    os << "  speculative       draft " << (*draft)->text << ", "
       << (summary.cacheBlockTokens ? "@decode (paged) verifies"
                                    : "@verify takes")
       << " " << summary.draftTokens << " drafted tokens at most\n";
  if (summary.draftCacheBytesPerSequence)
    os << "  draft KV cache    " << bytes(summary.draftCacheBytesPerSequence)
       << " per sequence\n";
  if (draftModule && target) {
    // Numbered after the target's, in the artifact's "draft cuda fatbin".
    int64_t first = INT64_MAX, last = -1;
    draftModule->walk([&](Operation *op) {
      auto params = op->getAttrOfType<DictionaryAttr>("params");
      if (auto index = params ? params.getAs<IntegerAttr>("cuda_kernel")
                              : IntegerAttr()) {
        first = std::min(first, index.getInt());
        last = std::max(last, index.getInt());
      }
    });
    if (last >= 0)
      os << "  draft kernels     llmc_fused_" << first << " .. llmc_fused_"
         << last << " (draft cuda fatbin)\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Past a file-size limit (ulimit -f) a write fails with EFBIG, which the
  // artifact writer reports, instead of the signal killing the compile.
  std::signal(SIGXFSZ, SIG_IGN);
  llmc::registerCompilerPasses();
  std::vector<std::string> storage;
  std::vector<char *> args;
  if (!llmc::loadPassPluginFlags(argc, argv, storage, args))
    return 1;
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  llmc::tool::registerCompileFlags(compileCommand, calibrateCommand,
                                   compileOptions);
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << llmc::runtime::versionLine("llmc") << "\n";
  });
  llvm::cl::HideUnrelatedOptions(
      {&compileOptions, &llmc::tool::pruneReportOptions()});
  llvm::cl::ParseCommandLineOptions(int(args.size()), args.data(),
                                    "llmc: compile ONNX transformers for "
                                    "inference\n");
  if (compileCommand)
    return compile();
  if (calibrateCommand)
    return llmc::tool::runCalibrate(inputPath, outputPath);
  if (llmc::tool::pruneReportCommand())
    return llmc::tool::runPruneReport();
  llvm::errs()
      << "llmc: no command given (try: llmc compile model.onnx -o "
         "model.llmc; llmc calibrate; llmc prune-report; llmc --help)\n";
  return 2;
}
