//===- Pipeline.h - the whole compile pipeline, in one place --------------===//
//
// What `llmc compile` runs on an imported ONNX model, as one pass
// pipeline (registered as llmc-compile-pipeline{...}):
//
//   llmc-fold-and-raise, func.func(llmc-check-raised, llmc-fold-shapes),
//   llmc-cleanup, llmc-early-exit (with early-exit-layers), llmc-prune-heads
//   (with the pruning options)                     -> after-raise
//   llmc-kv-cache, llmc-kv-evict (with kv-window),
//   llmc-speculative-verify (with max-draft-tokens),
//   llmc-cleanup                                   -> after-kv-cache
//   llmc-compute-type (f32), llmc-cleanup,
//   the quantizer of `quant` (calibrating on `calib`), llmc-cleanup
//                                                  -> after-quant
//   llmc-compute-type (dtype), llmc-cleanup,
//   llmc-kv-dtype (with kv-dtype)                  -> before-lowering
//   llmc-lower-to-plan, plan-fuse-add-norm, plan-fuse-sibling-linears,
//   plan-fuse-elementwise                          -> after-fusion
//   plan-memory
//   for a CUDA target: plan-outline-cuda-kernels, plan-cuda-gemms,
//   plan-cuda-codegen
//
// An extension point is where passes given by name go
// (CompileOptions::insertions; `llmc compile --insert-pass POINT=PIPELINE`).
// The options' names are llmc compile's flags.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_PIPELINE_H
#define LLMC_PASSES_PIPELINE_H

#include "passes/PassOptions.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/ArrayRef.h"

#include <string>
#include <utility>
#include <vector>

namespace llmc {

struct CompileOptions : mlir::PassPipelineOptions<CompileOptions> {
  Option<int64_t> maxSeq{*this, "max-seq",
                         llvm::cl::desc("Positions the KV cache holds (0: the "
                                        "model's context, else 2048)"),
                         llvm::cl::init(0)};
  Option<std::string> kvLayout{
      *this, "kv-layout",
      llvm::cl::desc("The KV cache: contiguous (max-seq positions per "
                     "sequence) or paged (blocks of kv-block tokens from a "
                     "pool)"),
      llvm::cl::init("contiguous")};
  Option<int64_t> kvBlock{*this, "kv-block",
                          llvm::cl::desc("kv-layout=paged: tokens per block "
                                         "(a power of two, at most max-seq)"),
                          llvm::cl::init(16)};
  Option<std::string> kvDtype{
      *this, "kv-dtype",
      llvm::cl::desc("kv-layout=paged: hold keys and values as f32, f16, "
                     "bf16, int8 or fp8 (empty: the compute type; "
                     "llmc-kv-dtype)")};
  Option<int64_t> kvWindow{
      *this, "kv-window",
      llvm::cl::desc("kv-layout=paged: past kv-sinks + kv-window tokens a "
                     "sequence keeps its first kv-sinks and evicts the "
                     "oldest others (0: it stops at max-seq; llmc-kv-evict)"),
      llvm::cl::init(0)};
  Option<int64_t> kvSinks{*this, "kv-sinks",
                          llvm::cl::desc("kv-window: the first tokens a "
                                         "sequence keeps (attention sinks)"),
                          llvm::cl::init(4)};
  Option<std::string> kvEvict{
      *this, "kv-evict",
      llvm::cl::desc("kv-window: what stays, window (the sinks and the "
                     "latest tokens)"),
      llvm::cl::init("window")};
  Option<int64_t> maxBatch{
      *this, "max-batch",
      llvm::cl::desc("Sequences one call takes (memory is planned for "
                     "this many)"),
      llvm::cl::init(1)};
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("cpu, or cuda: and the GPU architectures "
                     "(cuda:sm_80,sm_90)"),
      llvm::cl::init("cpu")};
  Option<std::string> nvcc{*this, "nvcc",
                           llvm::cl::desc("The nvcc of a CUDA target (default: "
                                          "nvcc on the PATH, else "
                                          "/usr/local/cuda/bin/nvcc)")};
  Option<ComputeElement> dtype{
      *this, "dtype",
      llvm::cl::desc("Element type of weights and activations after "
                     "quantization (the cpu target computes in f32)"),
      llvm::cl::init(ComputeElement::f32), computeElementValues()};
  Option<QuantMethod> quant{*this, "quant",
                            llvm::cl::desc("Quantize the weights of linear "
                                           "layers"),
                            llvm::cl::init(QuantMethod::none),
                            quantMethodValues()};
  Option<int64_t> groupSize{*this, "group-size",
                            llvm::cl::desc("4-bit methods: inputs sharing a "
                                           "scale (a multiple of 32)"),
                            llvm::cl::init(128)};
  Option<bool> zeroPoint{*this, "zero-point",
                         llvm::cl::desc("4-bit methods: groups with zero "
                                        "points (asymmetric)"),
                         llvm::cl::init(true)};
  Option<std::string> quantFallback{
      *this, "fallback",
      llvm::cl::desc("4-bit methods: a weight whose input features the "
                     "group size does not divide is kept in int8, fp32, or "
                     "is an error"),
      llvm::cl::init("int8")};
  Option<bool> actOrder{*this, "act-order",
                        llvm::cl::desc("gptq-int4: round columns in order of "
                                       "decreasing Hessian diagonal"),
                        llvm::cl::init(false)};
  ListOption<std::string> skip{*this, "skip",
                               llvm::cl::desc("Layers to leave unquantized "
                                              "(substrings of their names)")};
  Option<std::string> calib{
      *this, "calib",
      llvm::cl::desc("Calibration data: token-id sequences, one per line (or "
                     "a text, with calib-tokenizer)")};
  Option<std::string> calibTokenizer{
      *this, "calib-tokenizer",
      llvm::cl::desc("Read calib as text with this SentencePiece model")};
  Option<std::string> stats{
      *this, "stats",
      llvm::cl::desc("Calibration statistics of llmc calibrate (instead of "
                     "calib)")};
  Option<ActivationRounding> int8Activations{
      *this, "int8-activations",
      llvm::cl::desc("int8: also round activations (per token)"),
      llvm::cl::init(ActivationRounding::none), int8ActivationValues()};
  Option<std::string> pruneHeadsList{
      *this, "prune-heads-list",
      llvm::cl::desc("Heads (or KV groups) to remove after raising: "
                     "layer:unit,unit;layer:unit (llmc-prune-heads)")};
  Option<double> pruneHeads{
      *this, "prune-heads",
      llvm::cl::desc("The share of heads (or KV groups) to remove, ranked "
                     "by prune-score over calib"),
      llvm::cl::init(0.0)};
  Option<std::string> pruneUnit{
      *this, "prune-unit",
      llvm::cl::desc("query (heads inside KV groups) or group (whole KV "
                     "groups)"),
      llvm::cl::init("query")};
  Option<std::string> pruneScore{
      *this, "prune-score",
      llvm::cl::desc("How prune-heads ranks: norm, ablation or random"),
      llvm::cl::init("norm")};
  Option<int64_t> pruneMinPerLayer{
      *this, "prune-min-per-layer",
      llvm::cl::desc("The fewest units a layer keeps"), llvm::cl::init(1)};
  Option<uint64_t> pruneSeed{*this, "prune-seed",
                             llvm::cl::desc("The seed of prune-score=random"),
                             llvm::cl::init(0)};
  Option<bool> pruneUniform{
      *this, "prune-uniform",
      llvm::cl::desc("The same number of units from every layer"),
      llvm::cl::init(false)};
  Option<int64_t> earlyExitLayers{
      *this, "early-exit-layers",
      llvm::cl::desc("Keep only the first N layers, then the final norm and "
                     "lm_head (a self-draft; 0: all)"),
      llvm::cl::init(0)};
  Option<int64_t> firstCudaKernel{
      *this, "first-cuda-kernel",
      llvm::cl::desc("CUDA target: the index of the first generated kernel "
                     "(a draft model's follow the target's)"),
      llvm::cl::init(0)};
  Option<int64_t> maxDraftTokens{
      *this, "max-draft-tokens",
      llvm::cl::desc("Add @verify for speculative decoding, taking up to "
                     "this many drafted tokens (0: none)"),
      llvm::cl::init(0)};
  Option<ActivationRounding> fp8Activations{
      *this, "fp8-activations",
      llvm::cl::desc("fp8: also round activations (per tensor)"),
      llvm::cl::init(ActivationRounding::none), fp8ActivationValues()};
  Option<int64_t> tp{*this, "tp",
                     llvm::cl::desc("Tensor-parallel ranks: each rank keeps "
                                    "its share of every layer (1: none)"),
                     llvm::cl::init(1)};
  Option<int64_t> tpRank{
      *this, "tp-rank",
      llvm::cl::desc("With tp > 1: the rank whose share this pipeline keeps"),
      llvm::cl::init(0)};
  Option<int64_t> pp{*this, "pp",
                     llvm::cl::desc("Pipeline stages: each stage keeps a "
                                    "range of the layers (1: none)"),
                     llvm::cl::init(1)};
  Option<int64_t> ppStage{
      *this, "pp-stage",
      llvm::cl::desc("With pp > 1: the stage whose layers this pipeline keeps"),
      llvm::cl::init(0)};

  /// Pipelines (textual, anchored on the module: "a,func.func(b)") to run
  /// at extension points, each after those given before it for the same
  /// point. Not an option of llmc-compile-pipeline: a printed pipeline
  /// shows the passes themselves.
  std::vector<std::pair<std::string, std::string>> insertions;
};

/// The extension points, in pipeline order.
llvm::ArrayRef<llvm::StringRef> extensionPoints();

/// Adds the compile pipeline of `options` to `pm` (anchored on
/// builtin.module). Options that do not go together, an unknown extension
/// point and an inserted pipeline that does not parse fail through
/// `error` (its message names the option).
mlir::LogicalResult buildCompilePipeline(
    mlir::OpPassManager &pm, const CompileOptions &options,
    llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)> error);

/// The compile pipeline of `options` up to where its quantizer would run
/// (no extension points): the module `llmc calibrate` runs.
void buildCalibrationPipeline(mlir::OpPassManager &pm,
                              const CompileOptions &options);

/// Registers llmc-compile-pipeline with the pass registry.
void registerCompilePipeline();

} // namespace llmc

#endif // LLMC_PASSES_PIPELINE_H
