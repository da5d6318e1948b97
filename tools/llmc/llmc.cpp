//===- llmc.cpp - the compiler driver: ONNX model to .llmc artifact -------===//
//
// llmc compile model.onnx -o model.llmc [--max-seq N] [--max-batch B]
//              [--bos ID] [--eos ID,...] [--print-plan FILE]
//              [--quant int8|fp8|rtn-int4|gptq-int4 ... (Quantization.h)]
//              [--target cpu|cuda:sm_80,sm_90 [--nvcc PATH] [--emit-cuda F]]
// Runs import, clean-up and raising, the KV-cache pass, quantization,
// lowering to plan and memory planning, for CUDA the generated kernels
// (compiler/codegen/cuda), then writes the artifact (through a
// temporary file: a failed or killed compile leaves no output). One progress
// line per stage on stderr, and a summary at the end.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "compiler/ToolDiagnostics.h"
#include "compiler/artifact/EmitArtifact.h"
#include "compiler/codegen/cuda/CompileFatbin.h"
#include "compiler/codegen/cuda/EmitCudaSource.h"
#include "compiler/import/OnnxImporter.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/Passes.h"
#include "runtime/format/Target.h"
#include "tools/llmc/Quantization.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;

static llvm::cl::SubCommand compileCommand("compile",
                                           "Compile an ONNX model to a .llmc "
                                           "artifact");
static llvm::cl::OptionCategory compileOptions("llmc compile options");

static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                            llvm::cl::desc("<model.onnx>"),
                                            llvm::cl::sub(compileCommand),
                                            llvm::cl::cat(compileOptions));
static llvm::cl::opt<std::string>
    outputPath("o", llvm::cl::desc("The artifact to write"),
               llvm::cl::value_desc("model.llmc"),
               llvm::cl::sub(compileCommand), llvm::cl::cat(compileOptions));
static llvm::cl::opt<int64_t>
    maxSeq("max-seq",
           llvm::cl::desc("Positions the KV cache holds (default: the "
                          "model's context, else 2048)"),
           llvm::cl::init(0), llvm::cl::sub(compileCommand),
           llvm::cl::cat(compileOptions));
static llvm::cl::opt<int64_t>
    maxBatch("max-batch",
             llvm::cl::desc("Sequences one call takes (memory is planned "
                            "for this many)"),
             llvm::cl::init(1), llvm::cl::sub(compileCommand),
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
static llvm::cl::opt<std::string>
    printPlan("print-plan",
              llvm::cl::desc("Also write the planned IR to this file"),
              llvm::cl::value_desc("file"), llvm::cl::sub(compileCommand),
              llvm::cl::cat(compileOptions));

static llvm::cl::opt<std::string>
    targetName("target",
               llvm::cl::desc("What to generate code for: cpu, or cuda: and "
                              "the GPU architectures (cuda:sm_80,sm_90)"),
               llvm::cl::init("cpu"), llvm::cl::sub(compileCommand),
               llvm::cl::cat(compileOptions));
static llvm::cl::opt<std::string>
    nvccPath("nvcc",
             llvm::cl::desc("The nvcc that compiles the CUDA target's "
                            "generated kernels (default: nvcc on the PATH, "
                            "else /usr/local/cuda/bin/nvcc)"),
             llvm::cl::value_desc("path"), llvm::cl::sub(compileCommand),
             llvm::cl::cat(compileOptions));
static llvm::cl::opt<std::string>
    emitCuda("emit-cuda",
             llvm::cl::desc("Also write the generated CUDA C++ to this file"),
             llvm::cl::value_desc("file.cu"), llvm::cl::sub(compileCommand),
             llvm::cl::cat(compileOptions));

static llvm::cl::opt<std::string>
    computeType("dtype",
                llvm::cl::desc("Element type of weights and activations: f32 "
                               "(the CPU target), f16 (the default for "
                               "CUDA), bf16 or f32 (CUDA)"),
                llvm::cl::value_desc("type"), llvm::cl::sub(compileCommand),
                llvm::cl::cat(compileOptions));
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

/// Records each pass's name once, in the order they first run.
class PassRecorder : public PassInstrumentation {
public:
  explicit PassRecorder(std::vector<std::string> &names) : names(names) {}
  void runBeforePass(Pass *pass, Operation *) override {
    std::string name = pass->getArgument().str();
    if (!name.empty() && llvm::find(names, name) == names.end())
      names.push_back(name);
  }

private:
  std::vector<std::string> &names;
};

class Stages {
public:
  LogicalResult run(const std::string &name,
                    llvm::function_ref<LogicalResult()> stage) {
    Clock::time_point start = Clock::now();
    if (failed(stage()))
      return failure();
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    llvm::errs() << llvm::formatv("llmc: {0,-28} {1,6:F2} s\n", name, seconds);
    return success();
  }
};

/// The CUDA target's own step: numbers the fused calls and plans the
/// cuBLASLt calls, writes the fused kernels' CUDA C++ (also to
/// --emit-cuda) and compiles it with nvcc into the artifact's "cuda
/// fatbin" section, the source beside it.
template <typename RunPasses>
LogicalResult generateCudaKernels(ModuleOp module,
                                  const llmc::runtime::Target &target,
                                  llmc::ArtifactOptions &options,
                                  int64_t &generated, RunPasses runPasses) {
  namespace cuda = llmc::codegen::cuda;
  if (failed(runPasses([](PassManager &pm) {
        pm.addPass(llmc::createOutlineCudaKernels());
        pm.addPass(llmc::createPlanCudaGemms());
      })))
    return failure();
  std::string source;
  llvm::raw_string_ostream os(source);
  if (failed(cuda::emitCudaSource(module, os)))
    return failure();
  if (!emitCuda.empty()) {
    std::string error;
    auto file = openOutputFile(emitCuda, &error);
    if (!file)
      return module.emitError(error);
    file->os() << source;
    file->keep();
  }
  generated = cuda::countGeneratedKernels(module);
  if (generated == 0)
    return success();
  FailureOr<std::string> nvcc = cuda::findNvcc(nvccPath, module.getLoc());
  if (failed(nvcc))
    return failure();
  FailureOr<std::string> fatbin =
      cuda::compileFatbin(source, target.cudaArchs, *nvcc, module.getLoc());
  if (failed(fatbin))
    return failure();
  options.sections.emplace_back("cuda fatbin", std::move(*fatbin));
  options.sections.emplace_back("cuda source", std::move(source));
  return success();
}

int compile(const char *argv0) {
  if (inputPath.empty() || outputPath.empty()) {
    llvm::errs() << "llmc compile: usage: llmc compile model.onnx -o "
                    "model.llmc [--max-seq N]\n";
    return 2;
  }
  if (maxBatch < 1 || maxSeq < 0) {
    llvm::errs() << "llmc compile: --max-batch must be at least 1 and "
                    "--max-seq positive\n";
    return 2;
  }
  if (failed(llmc::tool::checkQuantizationOptions()))
    return 2;
  llmc::runtime::Expected<llmc::runtime::Target> target =
      llmc::runtime::parseTarget(targetName);
  if (!target) {
    llvm::errs() << "llmc compile: --target: " << target.status().message()
                 << "\n";
    return 2;
  }
  bool cuda = target->kind == llmc::runtime::Target::Kind::cuda;
  std::string dtype =
      computeType.empty() ? (cuda ? "f16" : "f32") : computeType.getValue();
  if (dtype != "f32" && dtype != "f16" && dtype != "bf16") {
    llvm::errs() << "llmc compile: --dtype must be f32, f16 or bf16, not '"
                 << dtype << "'\n";
    return 2;
  }
  if (!cuda && dtype != "f32") {
    llvm::errs() << "llmc compile: the cpu target computes in f32 (--dtype "
                 << dtype << " needs --target cuda:...)\n";
    return 2;
  }
  if (!cuda && (!nvccPath.empty() || !emitCuda.empty())) {
    llvm::errs() << "llmc compile: --nvcc and --emit-cuda need --target "
                    "cuda:...\n";
    return 2;
  }
  std::string quantName = llmc::tool::quantizationSummary();
  std::shared_ptr<llmc::quant::CalibrationData> calibration;
  DialectRegistry registry;
  llmc::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors name their node or op; the whole module is no help to a user.
  context.printOpOnDiagnostic(false);
  auto diagnostics = llmc::printToolDiagnostics(context, "llmc");

  Stages stages;
  OwningOpRef<ModuleOp> module;
  std::vector<std::string> passesRun;
  auto runPasses = [&](auto build) -> LogicalResult {
    PassManager pm(&context);
    build(pm);
    pm.addInstrumentation(std::make_unique<PassRecorder>(passesRun));
    return pm.run(*module);
  };
  auto hasAttention = [&] {
    bool found = false;
    module->walk([&](llmc::AttentionOp) { found = true; });
    return found;
  };
  int64_t maxPositions = std::max<int64_t>(4096, maxSeq);
  llmc::ArtifactSummary summary;
  llmc::ArtifactOptions options;
  options.producer = "llmc 0.1";
  options.bosId = bosId;
  options.eosIds.assign(eosIds.begin(), eosIds.end());
  options.maxBatch = maxBatch;
  options.dummyWeights = dummyWeights;
  options.target = target->str();
  int64_t generatedKernels = 0;
  if (failed(stages.run("import ONNX",
                        [&]() -> LogicalResult {
                          FailureOr<OwningOpRef<ModuleOp>> imported =
                              llmc::importOnnxFile(context, inputPath,
                                                   llmc::OnnxImportOptions());
                          if (failed(imported))
                            return failure();
                          module = std::move(*imported);
                          return success();
                        })) ||
      failed(stages.run("fold shapes, raise ops",
                        [&] {
                          return runPasses([&](PassManager &pm) {
                            llmc::buildImportCleanupPipeline(pm, true,
                                                             maxPositions);
                          });
                        })) ||
      failed(stages.run(hasAttention() ? "KV cache"
                                       : "KV cache: none (no attention)",
                        [&]() -> LogicalResult {
                          // A graph without attention runs as it is, with
                          // its own entry point @main.
                          if (!hasAttention())
                            return success();
                          return runPasses([&](PassManager &pm) {
                            llmc::KvCacheOptions kv;
                            kv.maxSeq = maxSeq;
                            pm.addPass(llmc::createKvCache(kv));
                            pm.addPass(llmc::createCleanup());
                          });
                        })) ||
      failed(stages.run("fp32 compute",
                        [&] {
                          return runPasses([&](PassManager &pm) {
                            pm.addPass(llmc::createComputeType());
                            pm.addPass(llmc::createCleanup());
                          });
                        })) ||
      failed(stages.run(
          llmc::tool::wantsCalibration()
              ? "calibrate on " + llmc::tool::calibrationOptions(argv0).path
              : "calibrate: none",
          [&]() -> LogicalResult {
            if (!llmc::tool::wantsCalibration())
              return success();
            auto data =
                llmc::calibrate(*module, llmc::tool::calibrationOptions(argv0));
            if (failed(data))
              return failure();
            calibration = *data;
            return success();
          })) ||
      failed(stages.run(quantName.empty() ? "quantize: none"
                                          : "quantize " + quantName,
                        [&]() -> LogicalResult {
                          std::unique_ptr<Pass> pass =
                              llmc::tool::quantizationPass(calibration);
                          if (!pass)
                            return success();
                          return runPasses([&](PassManager &pm) {
                            pm.addPass(std::move(pass));
                            pm.addPass(llmc::createCleanup());
                          });
                        })) ||
      failed(llmc::tool::writeQuantizationReport(
          *module, calibration ? calibration->tokens : 0)) ||
      failed(stages.run(
          dtype == "f32" ? "compute type: f32 (above)" : dtype + " compute",
          [&]() -> LogicalResult {
            if (dtype == "f32")
              return success();
            return runPasses([&](PassManager &pm) {
              llmc::ComputeTypeOptions type;
              type.elementType = dtype == "f16" ? llmc::ComputeElement::f16
                                                : llmc::ComputeElement::bf16;
              pm.addPass(llmc::createComputeType(type));
              pm.addPass(llmc::createCleanup());
            });
          })) ||
      failed(stages.run("lower to plan, fuse",
                        [&] {
                          return runPasses([&](PassManager &pm) {
                            pm.addPass(llmc::createLowerToPlan());
                            llmc::addPlanFusionPasses(pm);
                          });
                        })) ||
      failed(stages.run("memory plan",
                        [&] {
                          return runPasses([&](PassManager &pm) {
                            llmc::PlanMemoryOptions memory;
                            memory.maxBatch = maxBatch;
                            pm.addPass(llmc::createPlanMemory(memory));
                          });
                        })) ||
      failed(stages.run(cuda ? "CUDA kernels for " + target->archList()
                             : "CUDA kernels: none (target cpu)",
                        [&]() -> LogicalResult {
                          if (!cuda)
                            return success();
                          return generateCudaKernels(
                              *module, *target, options, generatedKernels,
                              [&](auto build) { return runPasses(build); });
                        })))
    return 1;
  if (!printPlan.empty()) {
    std::string error;
    auto file = openOutputFile(printPlan, &error);
    if (!file) {
      llvm::errs() << "llmc compile: " << error << "\n";
      return 1;
    }
    OpPrintingFlags flags;
    flags.elideLargeResourceString().elideLargeElementsAttrs();
    module->print(file->os(), flags);
    file->keep();
  }
  if (failed(stages.run("write artifact", [&] {
        return llmc::emitArtifact(*module, options, outputPath, &summary);
      })))
    return 1;

  int64_t maxSeqUsed = 0;
  if (auto cache = (*module)->getAttrOfType<DictionaryAttr>("llmc.kv_cache"))
    if (auto seq = cache.getAs<IntegerAttr>("max_seq"))
      maxSeqUsed = seq.getInt();
  llvm::raw_ostream &os = llvm::errs();
  os << "llmc: wrote " << outputPath << "\n";
  os << "  parameters        " << summary.parameters << " in "
     << summary.weightTensors << " weight tensors, "
     << bytes(summary.weightBytes) << "\n";
  if (!quantName.empty())
    os << "  quantized         " << quantName << "\n";
  if (dummyWeights)
    os << "  weights           left out (--dummy-weights): llmc-run fills "
          "them with pseudo-random values\n";
  os << "  passes            ";
  llvm::interleaveComma(passesRun, os);
  if (cuda)
    os << "\n  target            " << options.target << ", " << dtype << ": "
       << generatedKernels << " generated kernel"
       << (generatedKernels == 1 ? "" : "s");
  os << "\n  plan              " << summary.steps << " kernel calls in "
     << summary.entries << "\n";
  os << "  peak activations  " << bytes(summary.peakActivationBytes);
  if (maxSeqUsed)
    os << " (batch " << maxBatch << ", " << maxSeqUsed << " tokens)";
  os << "\n";
  if (maxSeqUsed)
    os << "  KV cache          " << bytes(summary.cacheBytesPerSequence)
       << " per sequence of " << maxSeqUsed << " tokens\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llmc::registerCompilerPasses();
  llmc::tool::registerQuantizationOptions(compileCommand, compileOptions);
  llvm::cl::HideUnrelatedOptions(compileOptions);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "llmc: compile ONNX transformers for "
                                    "inference\n");
  if (compileCommand)
    return compile(argv[0]);
  llvm::errs() << "llmc: no command given (try: llmc compile model.onnx -o "
                  "model.llmc; llmc --help)\n";
  return 2;
}
