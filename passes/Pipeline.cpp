//===- Pipeline.cpp - the whole compile pipeline, in one place ------------===//

#include "passes/Pipeline.h"

#include "passes/Passes.h"

#include "runtime/format/Target.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace llmc {
namespace {

using ErrorHandler = llvm::function_ref<LogicalResult(const llvm::Twine &)>;

constexpr llvm::StringRef kPoints[] = {"after-raise", "after-kv-cache",
                                       "after-quant", "before-lowering",
                                       "after-fusion"};

llvm::StringRef elementName(ComputeElement element) {
  switch (element) {
  case ComputeElement::f32:
    return "f32";
  case ComputeElement::f16:
    return "f16";
  case ComputeElement::bf16:
    return "bf16";
  }
  return "";
}

/// The options that only make sense together; the first that does not is
/// the error.
LogicalResult checkQuantization(const CompileOptions &o, ErrorHandler error) {
  QuantMethod method = o.quant;
  // Calibration data: sequences to run (calib) or what llmc calibrate saw.
  bool data = !o.calib.empty() || !o.stats.empty();
  if (!o.calib.empty() && !o.stats.empty())
    return error("--calib and --stats both give calibration data: give one");
  bool staticFp8 = method == QuantMethod::fp8 &&
                   o.fp8Activations == ActivationRounding::calibrated;
  if (o.actOrder && method != QuantMethod::gptqInt4)
    return error("--act-order applies to --quant gptq-int4");
  const bool ranked = o.pruneHeads != 0.0;
  if (method == QuantMethod::none && !o.skip.empty())
    return error("--skip needs --quant");
  if (method == QuantMethod::none && !o.stats.empty())
    return error("--stats needs --quant");
  if (method == QuantMethod::none && !o.calib.empty() && !ranked)
    return error("--calib needs --quant or --prune-heads");
  if (isFourBit(method) && (o.groupSize < 32 || o.groupSize % 32 != 0))
    return error(llvm::formatv("--group-size {0} is not supported: use a "
                               "multiple of 32 (32, 64, 128, ...)",
                               o.groupSize.getValue()));
  if ((method == QuantMethod::gptqInt4 || method == QuantMethod::awqInt4) &&
      !data)
    return error("--quant " + quantMethodName(method) +
                 " needs calibration data: --calib FILE (token-id sequences, "
                 "or a text with --calib-tokenizer) or --stats FILE");
  if (!o.calibTokenizer.empty() && o.calib.empty())
    return error("--calib-tokenizer needs --calib");
  if (o.fp8Activations != ActivationRounding::none &&
      method != QuantMethod::fp8)
    return error("--fp8-activations applies to --quant fp8");
  if (o.int8Activations != ActivationRounding::none &&
      method != QuantMethod::int8)
    return error("--int8-activations applies to --quant int8");
  if (staticFp8 && !data)
    return error("--fp8-activations static needs calibration data: --calib "
                 "FILE or --stats FILE");
  if (data && (method == QuantMethod::int8 ||
               (method == QuantMethod::fp8 && !staticFp8)))
    return error("--calib and --stats apply to the 4-bit methods and to fp8 "
                 "with --fp8-activations static");
  return success();
}

/// The options every 4-bit method's pass shares.
template <typename PassOptions>
PassOptions fourBitOptions(const CompileOptions &o) {
  PassOptions pass;
  pass.groupSize = o.groupSize;
  pass.zeroPoint = o.zeroPoint;
  pass.fallback = o.quantFallback;
  pass.skip.assign(o.skip.begin(), o.skip.end());
  pass.calib = o.calib;
  pass.calibTokenizer = o.calibTokenizer;
  pass.stats = o.stats;
  return pass;
}

/// The quantizer of `o.quant`, or null.
std::unique_ptr<Pass> quantizationPass(const CompileOptions &o) {
  switch (o.quant) {
  case QuantMethod::none:
    return nullptr;
  case QuantMethod::int8: {
    QuantizeInt8Options pass;
    pass.skip.assign(o.skip.begin(), o.skip.end());
    pass.activations = o.int8Activations;
    return createQuantizeInt8(pass);
  }
  case QuantMethod::fp8: {
    QuantizeFp8Options pass;
    pass.skip.assign(o.skip.begin(), o.skip.end());
    pass.activations = o.fp8Activations;
    pass.calib = o.calib;
    pass.calibTokenizer = o.calibTokenizer;
    pass.stats = o.stats;
    return createQuantizeFp8(pass);
  }
  case QuantMethod::rtnInt4:
    return createQuantizeRtn(fourBitOptions<QuantizeRtnOptions>(o));
  case QuantMethod::gptqInt4: {
    auto pass = fourBitOptions<QuantizeGptqOptions>(o);
    pass.actOrder = o.actOrder;
    return createQuantizeGptq(pass);
  }
  case QuantMethod::awqInt4:
    return createQuantizeAwq(fourBitOptions<QuantizeAwqOptions>(o));
  }
  return nullptr;
}

/// The pipeline up to the quantizer, where calibration runs the model.
LogicalResult addUntilQuantization(
    OpPassManager &pm, const CompileOptions &o,
    llvm::function_ref<LogicalResult(llvm::StringRef)> insert) {
  // Raised ops serve at least the cache's positions.
  buildImportCleanupPipeline(pm, /*raise=*/true,
                             std::max<int64_t>(4096, o.maxSeq));
  if (o.earlyExitLayers > 0) {
    EarlyExitOptions exit;
    exit.layers = o.earlyExitLayers;
    pm.addPass(createEarlyExit(exit));
    pm.addPass(createCleanup());
  }
  // Pruning first, so that calibration and quantization see the pruned
  // model.
  if (!o.pruneHeadsList.empty() || o.pruneHeads != 0.0) {
    PruneHeadsOptions prune;
    prune.heads = o.pruneHeadsList;
    prune.unit = o.pruneUnit;
    prune.ratio = o.pruneHeads;
    if (o.pruneHeads != 0.0) {
      prune.score = o.pruneScore;
      prune.seed = o.pruneSeed;
      prune.minPerLayer = o.pruneMinPerLayer;
      prune.uniform = o.pruneUniform;
      // Ranked on the unpruned model: a statistics file (--stats) holds
      // the pruned one's.
      prune.calib = o.calib;
      prune.calibTokenizer = o.calibTokenizer;
    }
    pm.addPass(createPruneHeads(prune));
  }
  if (failed(insert("after-raise")))
    return failure();
  KvCacheOptions kv;
  kv.maxSeq = o.maxSeq;
  kv.blockTokens = o.kvLayout == "paged" ? o.kvBlock : 0;
  pm.addPass(createKvCache(kv));
  if (o.kvWindow > 0) {
    KvEvictOptions evict;
    evict.window = o.kvWindow;
    evict.sinks = o.kvSinks;
    evict.policy = o.kvEvict;
    pm.addPass(createKvEvict(evict));
  }
  if (o.maxDraftTokens > 0) {
    SpeculativeVerifyOptions verify;
    verify.draftTokens = o.maxDraftTokens;
    pm.addPass(createSpeculativeVerify(verify));
  }
  pm.addPass(createCleanup());
  if (failed(insert("after-kv-cache")))
    return failure();
  // Quantization works on f32 weights; a narrower compute type comes after.
  pm.addPass(createComputeType());
  pm.addPass(createCleanup());
  return success();
}

} // namespace

llvm::ArrayRef<llvm::StringRef> extensionPoints() { return kPoints; }

void buildCalibrationPipeline(OpPassManager &pm, const CompileOptions &o) {
  (void)addUntilQuantization(pm, o, [](llvm::StringRef) { return success(); });
}

LogicalResult buildCompilePipeline(OpPassManager &pm, const CompileOptions &o,
                                   ErrorHandler error) {
  runtime::Expected<runtime::Target> target = runtime::parseTarget(o.target);
  if (!target)
    return error("--target: " + target.status().message());
  bool cuda = target->kind == runtime::Target::Kind::cuda;
  if (o.maxBatch < 1 || o.maxSeq < 0)
    return error("--max-batch must be at least 1 and --max-seq positive");
  if (o.tp < 1 || o.tpRank < 0 || o.tpRank >= o.tp)
    return error(llvm::formatv("--tp {0} (rank {1}): at least 1 rank, "
                               "rank 0 up to tp - 1",
                               o.tp.getValue(), o.tpRank.getValue()));
  if (o.pp < 1 || o.ppStage < 0 || o.ppStage >= o.pp)
    return error(llvm::formatv("--pp {0} (stage {1}): at least 1 stage, "
                               "stage 0 up to pp - 1",
                               o.pp.getValue(), o.ppStage.getValue()));
  if (o.maxDraftTokens < 0)
    return error("--max-draft-tokens must not be negative");
  if (o.kvLayout != "contiguous" && o.kvLayout != "paged")
    return error("--kv-layout " + o.kvLayout +
                 ": expected contiguous or paged");
  if (!o.kvDtype.empty() &&
      !llvm::is_contained({"f32", "f16", "bf16", "int8", "fp8"},
                          llvm::StringRef(o.kvDtype)))
    return error("--kv-dtype " + o.kvDtype +
                 ": expected f32, f16, bf16, int8 or fp8");
  if (!o.kvDtype.empty() && o.kvLayout != "paged")
    return error("--kv-dtype " + o.kvDtype +
                 " holds a paged cache's keys and values: give --kv-layout "
                 "paged");
  if (o.kvWindow < 0 || o.kvSinks < 0)
    return error("--kv-window and --kv-sinks count tokens: not negative");
  if (o.kvWindow > 0 && o.kvLayout != "paged")
    return error("--kv-window evicts a paged cache's tokens: give "
                 "--kv-layout paged");
  if (o.kvWindow > 0 && o.kvEvict != "window" && o.kvEvict != "h2o")
    return error("--kv-evict " + o.kvEvict + ": expected window or h2o");
  if (o.kvWindow > 0 && o.kvEvict == "h2o" && cuda)
    return error("--kv-evict h2o ranks tokens by the attention they "
                 "receive, which only the CPU attention kernel sums so far: "
                 "use --kv-evict window on " +
                 o.target);
  if (o.kvWindow > 0 && o.maxSeq > 0 && o.kvWindow + o.kvSinks > o.maxSeq)
    return error(llvm::formatv(
        "--kv-window {0} + --kv-sinks {1}: {2} tokens, above the cache's "
        "--max-seq {3}",
        o.kvWindow.getValue(), o.kvSinks.getValue(), o.kvWindow + o.kvSinks,
        o.maxSeq.getValue()));
  if (o.kvLayout == "paged") {
    if (o.kvBlock < 1 || !llvm::isPowerOf2_64(uint64_t(o.kvBlock)))
      return error(llvm::formatv("--kv-block {0}: tokens per block must be "
                                 "a power of two",
                                 o.kvBlock.getValue()));
    if (o.maxSeq > 0 && o.kvBlock > o.maxSeq)
      return error(llvm::formatv("--kv-block {0} exceeds --max-seq {1}",
                                 o.kvBlock.getValue(), o.maxSeq.getValue()));
    // The CUDA kernels read and write the compute type.
    if (!o.kvDtype.empty() && cuda && o.kvDtype != elementName(o.dtype).str())
      return error("--kv-dtype " + o.kvDtype + " on " + o.target +
                   ": the CUDA attention kernels hold keys and values in "
                   "the compute type (--dtype " +
                   elementName(o.dtype).str() +
                   ") so far; int8, fp8 and other KV types run on the cpu "
                   "target");
    // What the paged cache does not run with yet (docs/kv-cache.md).
    if (o.tp > 1 || o.pp > 1)
      return error("--kv-layout paged runs on one rank so far "
                   "(--tp and --pp need --kv-layout contiguous)");
    if (o.maxDraftTokens > 0 && o.kvWindow > 0)
      return error("--kv-window and speculative decoding do not go together "
                   "yet: an evicted sequence's tokens no longer sit at the "
                   "positions a rejected draft is cut at");
  }
  if (!cuda && o.dtype != ComputeElement::f32)
    return error("the cpu target computes in f32 (--dtype " +
                 elementName(o.dtype) + " needs --target cuda:...)");
  if (!cuda && !o.nvcc.empty())
    return error("--nvcc needs --target cuda:...");
  if (failed(checkQuantization(o, error)))
    return failure();
  for (const auto &[point, text] : o.insertions)
    if (!llvm::is_contained(kPoints, point))
      return error("--insert-pass: unknown extension point '" + point +
                   "' (expected " + llvm::join(extensionPoints(), ", ") + ")");

  auto insert = [&](llvm::StringRef point) -> LogicalResult {
    for (const auto &[at, text] : o.insertions) {
      if (at != point)
        continue;
      std::string message;
      llvm::raw_string_ostream os(message);
      if (failed(parsePassPipeline(text, pm, os)))
        return error("--insert-pass " + at + "='" + text +
                     "': " + llvm::StringRef(message).trim());
    }
    return success();
  };

  if (failed(addUntilQuantization(pm, o, insert)))
    return failure();
  if (std::unique_ptr<Pass> quantize = quantizationPass(o)) {
    pm.addPass(std::move(quantize));
    pm.addPass(createCleanup());
  }
  if (failed(insert("after-quant")))
    return failure();
  // Sharding after quantization: each rank's quantized weights are the
  // unsharded ones, cut.
  if (o.tp > 1) {
    ShardTensorParallelOptions shard;
    shard.ranks = o.tp;
    shard.rank = o.tpRank;
    pm.addPass(createShardTensorParallel(shard));
  }
  if (o.pp > 1) {
    CutPipelineStageOptions cut;
    cut.stages = o.pp;
    cut.stage = o.ppStage;
    pm.addPass(createCutPipelineStage(cut));
    pm.addPass(createCleanup());
  }
  if (o.dtype != ComputeElement::f32) {
    ComputeTypeOptions type;
    type.elementType = o.dtype;
    pm.addPass(createComputeType(type));
    pm.addPass(createCleanup());
  }
  if (!o.kvDtype.empty()) {
    KvDtypeOptions held;
    held.dtype = o.kvDtype;
    pm.addPass(createKvDtype(held));
  }
  if (failed(insert("before-lowering")))
    return failure();
  pm.addPass(createLowerToPlan());
  addPlanFusionPasses(pm);
  if (failed(insert("after-fusion")))
    return failure();
  // Before memory planning: outlining may add calls (expand) that need
  // room in the arena.
  if (cuda) {
    OutlineCudaKernelsOptions outline;
    outline.firstKernel = o.firstCudaKernel;
    pm.addPass(createOutlineCudaKernels(outline));
  }
  PlanMemoryOptions memory;
  memory.maxBatch = o.maxBatch;
  // The CUDA kernels take their scratch from the device, not the arena.
  memory.kernelScratch = !cuda;
  pm.addPass(createPlanMemory(memory));
  if (cuda) {
    pm.addPass(createPlanCudaGemms());
    CudaCodegenOptions codegen;
    codegen.target = target->str();
    codegen.nvcc = o.nvcc;
    pm.addPass(createCudaCodegen(codegen));
  }
  return success();
}

void registerCompilePipeline() {
  registerPassPipeline(
      "llmc-compile-pipeline",
      "Everything llmc compile runs on an imported model: raise, KV cache, "
      "quantization, lowering to plan, fusion, memory plan, target code "
      "(passes/Pipeline.h)",
      [](OpPassManager &pm, llvm::StringRef text, ErrorHandler error) {
        CompileOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        return buildCompilePipeline(pm, options, error);
      },
      [](llvm::function_ref<void(const detail::PassOptions &)> print) {
        print(CompileOptions());
      });
}

} // namespace llmc
