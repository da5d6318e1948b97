//===- GeluTanh.cpp - an out-of-tree llmc pass, loaded as a plugin --------===//
//
// llmc-gelu-tanh: computes every exact (erf) GELU with the tanh
// approximation instead, in the llmc dialect: `llmc.gelu` gets `tanh`, and
// an `llmc.mlp` or `llmc.gated_mlp` with activation `gelu` gets
// `gelu_tanh` (which lets CUDA's cuBLASLt take it as a GEMM epilogue).
// With mlp-only=true the standalone `llmc.gelu` ops are left as they are.
//
//   llmc-opt --load-pass-plugin=LlmcGeluTanh.so --llmc-gelu-tanh in.mlir
//   llmc compile m.onnx -o m.llmc --load-pass-plugin LlmcGeluTanh.so \
//       --insert-pass after-raise=llmc-gelu-tanh
//
// `--debug-only=llmc-gelu-tanh` (a debug build of LLVM) says why a
// pattern did not apply.
//
//===----------------------------------------------------------------------===//

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "llmc-gelu-tanh"

using namespace mlir;

namespace {

/// An MLP op (llmc.mlp, llmc.gated_mlp) whose activation is exact GELU.
template <typename MlpOp> struct TanhMlp : OpRewritePattern<MlpOp> {
  using OpRewritePattern<MlpOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(MlpOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getActivation() != llmc::Activation::gelu)
      return rewriter.notifyMatchFailure(op, "activation is not exact gelu");
    rewriter.modifyOpInPlace(
        op, [&] { op.setActivation(llmc::Activation::gelu_tanh); });
    return success();
  }
};

struct TanhGelu : OpRewritePattern<llmc::GeluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(llmc::GeluOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTanh())
      return rewriter.notifyMatchFailure(op, "already the tanh form");
    rewriter.modifyOpInPlace(op, [&] { op.setTanh(true); });
    return success();
  }
};

struct GeluTanhPass : PassWrapper<GeluTanhPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(GeluTanhPass)

  GeluTanhPass() = default;
  GeluTanhPass(const GeluTanhPass &other) : PassWrapper(other) {}

  StringRef getName() const override { return "GeluTanh"; }
  StringRef getArgument() const override { return "llmc-gelu-tanh"; }
  StringRef getDescription() const override {
    return "Compute exact GELU with the tanh approximation (an example "
           "pass plugin)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<llmc::LlmcDialect>();
  }

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TanhMlp<llmc::MlpOp>, TanhMlp<llmc::GatedMlpOp>>(
        &getContext());
    if (!mlpOnly)
      patterns.add<TanhGelu>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }

  Option<bool> mlpOnly{*this, "mlp-only",
                       llvm::cl::desc("Leave standalone llmc.gelu ops exact"),
                       llvm::cl::init(false)};
};

} // namespace

/// The entry point llmc-opt and llmc compile look up (--load-pass-plugin).
extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "LlmcGeluTanh", "0.1",
          [] { PassRegistration<GeluTanhPass>(); }};
}
