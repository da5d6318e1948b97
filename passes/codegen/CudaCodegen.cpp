//===- CudaCodegen.cpp - the plan's generated kernels as a fatbin ---------===//
//
// See Passes.td: plan-cuda-codegen.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/codegen/cuda/CompileFatbin.h"
#include "passes/codegen/cuda/EmitCudaSource.h"

#include "runtime/format/Target.h"

#include "mlir/IR/Builders.h"

namespace llmc {
#define GEN_PASS_DEF_CUDACODEGEN
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct CudaCodegen : llmc::impl::CudaCodegenBase<CudaCodegen> {
  using CudaCodegenBase::CudaCodegenBase;

  void runOnOperation() override {
    namespace cuda = codegen::cuda;
    ModuleOp module = getOperation();
    runtime::Expected<runtime::Target> parsed = runtime::parseTarget(target);
    if (!parsed || parsed->kind != runtime::Target::Kind::cuda) {
      module.emitError("plan-cuda-codegen: target: ")
          << (parsed ? "'" + target + "' is not a CUDA target"
                     : parsed.status().message());
      return signalPassFailure();
    }
    Builder b(module.getContext());
    module->setAttr("llmc.target", b.getStringAttr(parsed->str()));
    std::string source;
    llvm::raw_string_ostream os(source);
    if (failed(cuda::emitCudaSource(module, os)))
      return signalPassFailure();
    if (cuda::countGeneratedKernels(module) == 0)
      return;
    FailureOr<std::string> tool = cuda::findNvcc(nvcc, module.getLoc());
    if (failed(tool))
      return signalPassFailure();
    FailureOr<std::string> fatbin =
        cuda::compileFatbin(source, parsed->cudaArchs, *tool, module.getLoc());
    if (failed(fatbin))
      return signalPassFailure();
    module->setAttr(
        "llmc.sections",
        b.getDictionaryAttr(
            {b.getNamedAttr("cuda fatbin", b.getStringAttr(*fatbin)),
             b.getNamedAttr("cuda source", b.getStringAttr(source))}));
  }
};

} // namespace
