//===- DraftCompile.cpp - the draft model of llmc compile --draft ---------===//

#include "tools/llmc/DraftCompile.h"

#include "compiler/import/OnnxImporter.h"
#include "passes/codegen/cuda/EmitCudaSource.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace llmc::tool {

namespace {

LogicalResult fail(const llvm::Twine &message) {
  llvm::errs() << "llmc compile: " << message << "\n";
  return failure();
}

/// The vocabulary of a compiled module: @decode's logits' last extent.
int64_t vocabularyOf(ModuleOp module) {
  auto decode = module.lookupSymbol<func::FuncOp>("decode");
  if (!decode || decode.getNumResults() == 0)
    return 0;
  auto logits = dyn_cast<RankedTensorType>(decode.getResultTypes()[0]);
  return logits && logits.getRank() > 0 &&
                 !logits.isDynamicDim(logits.getRank() - 1)
             ? logits.getShape().back()
             : 0;
}

/// The 4-bit group size for a self-draft: the largest of 128, 64 and 32
/// that divides both extents of every matrix the model holds (widths
/// like fortunes3m's 192 take 64); failure names an extent none divides.
FailureOr<int64_t> groupSizeFor(ModuleOp module, int64_t &odd) {
  SmallVector<int64_t> extents;
  module.walk([&](Operation *op) {
    if (!op->hasTrait<OpTrait::ConstantLike>())
      return;
    for (Value result : op->getResults())
      if (auto type = dyn_cast<RankedTensorType>(result.getType());
          type && type.getRank() == 2 && isa<FloatType>(type.getElementType()))
        llvm::append_range(extents, type.getShape());
  });
  for (int64_t group : {128, 64, 32})
    if (llvm::all_of(extents, [&](int64_t extent) {
          return extent < 32 || extent % group == 0;
        }))
      return group;
  odd = *llvm::find_if(extents, [](int64_t e) { return e >= 32 && e % 32; });
  return failure();
}

std::string idList(ArrayRef<int64_t> ids) {
  std::string text;
  for (int64_t id : ids)
    text += (text.empty() ? "" : ", ") + std::to_string(id);
  return text;
}

} // namespace

SpecialTokens specialTokensOf(ModuleOp module, int64_t bos,
                              ArrayRef<int64_t> eos) {
  SpecialTokens tokens;
  if (auto id = module->getAttrOfType<IntegerAttr>("llmc.bos_id"))
    tokens.bos = id.getInt();
  if (auto ids = module->getAttrOfType<DenseI64ArrayAttr>("llmc.eos_ids"))
    tokens.eos.assign(ids.asArrayRef().begin(), ids.asArrayRef().end());
  if (bos >= 0)
    tokens.bos = bos;
  if (!eos.empty())
    tokens.eos.assign(eos.begin(), eos.end());
  return tokens;
}

FailureOr<OwningOpRef<ModuleOp>>
compileDraft(const DraftSpec &spec, ModuleOp imported, ModuleOp compiled,
             const CompileOptions &target, const SpecialTokens &tokens,
             llvm::function_ref<void(PassManager &)> instrument) {
  MLIRContext &context = *compiled.getContext();
  auto cache = compiled->getAttrOfType<DictionaryAttr>("llmc.kv_cache");
  auto speculative =
      compiled->getAttrOfType<DictionaryAttr>("llmc.speculative");
  if (!cache || !speculative) {
    (void)fail("--draft: the target has no KV cache to speculate with (no "
               "attention in the model)");
    return failure();
  }
  CompileOptions options;
  options.maxSeq = cache.getAs<IntegerAttr>("max_seq").getInt();
  options.maxBatch = target.maxBatch;
  options.target = target.target;
  options.nvcc = target.nvcc;
  options.dtype = target.dtype;
  // A paged target's draft is paged too: a server runs its rows at their
  // own positions, as the target's.
  options.kvLayout = target.kvLayout;
  options.kvBlock = target.kvBlock;
  options.maxDraftTokens =
      speculative.getAs<IntegerAttr>("draft_tokens").getInt();
  // Its generated CUDA kernels are numbered after the target's (both
  // fatbins load into one device).
  options.firstCudaKernel = codegen::cuda::countGeneratedKernels(compiled);

  OwningOpRef<ModuleOp> draft;
  std::string what;
  if (spec.kind == DraftSpec::Kind::model) {
    what = "draft model " + spec.path;
    FailureOr<OwningOpRef<ModuleOp>> read =
        importOnnxFile(context, spec.path, OnnxImportOptions());
    if (failed(read)) {
      (void)fail("--draft " + spec.text +
                 ": the draft is not an ONNX model "
                 "llmc imports (see above)");
      return failure();
    }
    draft = std::move(*read);
    // Special tokens both models name must be the same ids.
    SpecialTokens own = specialTokensOf(*draft, -1, {});
    if (own.bos >= 0 && tokens.bos >= 0 && own.bos != tokens.bos) {
      (void)fail(llvm::formatv("--draft {0}: the draft's BOS id {1} is not "
                               "the target's {2}",
                               spec.text, own.bos, tokens.bos));
      return failure();
    }
    if (!own.eos.empty() && !tokens.eos.empty() && own.eos != tokens.eos) {
      (void)fail("--draft " + spec.text + ": the draft's EOS ids " +
                 idList(own.eos) + " are not the target's " +
                 idList(tokens.eos));
      return failure();
    }
  } else {
    what = "draft " + spec.text;
    draft = OwningOpRef<ModuleOp>(cast<ModuleOp>(imported->clone()));
    options.earlyExitLayers = spec.layers;
    if (spec.int4) {
      int64_t odd = 0;
      FailureOr<int64_t> group = groupSizeFor(imported, odd);
      if (failed(group)) {
        (void)fail(llvm::formatv("--draft {0}: the model has matrices of {1} "
                                 "features, which no 4-bit group size (32, "
                                 "64, 128) divides",
                                 spec.text, odd));
        return failure();
      }
      options.quant = QuantMethod::rtnInt4;
      options.groupSize = *group;
    }
    if (spec.prune > 0.0) {
      if (target.calib.empty()) {
        (void)fail("--draft " + spec.text +
                   ": prune= ranks heads over --calib FILE");
        return failure();
      }
      options.pruneHeads = spec.prune;
      options.calib = target.calib;
      options.calibTokenizer = target.calibTokenizer;
    }
  }
  PassManager pm = PassManager::on<ModuleOp>(&context);
  if (failed(buildCompilePipeline(pm, options, [&](const llvm::Twine &m) {
        return fail("--draft " + spec.text + ": " + m);
      })))
    return failure();
  instrument(pm);
  if (failed(pm.run(*draft))) {
    (void)fail("--draft " + spec.text + ": compiling the " + what +
               " failed (see above)");
    return failure();
  }
  int64_t targetVocab = vocabularyOf(compiled),
          draftVocab = vocabularyOf(*draft);
  if (draftVocab != targetVocab) {
    (void)fail(llvm::formatv("--draft {0}: the draft's vocabulary of {1} "
                             "tokens is not the target's {2}: drafted ids "
                             "would mean other tokens",
                             spec.text, draftVocab, targetVocab));
    return failure();
  }
  return draft;
}

} // namespace llmc::tool
