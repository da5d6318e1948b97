//===- Passes.h - declarations and registration of every llmc pass --------===//

#ifndef LLMC_PASSES_PASSES_H
#define LLMC_PASSES_PASSES_H

#include "dialects/llmc/IR/LlmcDialect.h"
#include "dialects/plan/IR/PlanOps.h"
#include "passes/PassOptions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace llmc {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// llmc-fold-shapes on every function, then llmc-cleanup; with `raise`,
/// llmc-fold-and-raise and llmc-check-raised first (raised ops serve up to
/// `maxPositions` positions).
void buildImportCleanupPipeline(mlir::OpPassManager &pm, bool raise,
                                int64_t maxPositions = 4096);

/// The plan's fusions, in order: plan-fuse-add-norm,
/// plan-fuse-sibling-linears, plan-fuse-elementwise.
void addPlanFusionPasses(mlir::OpPassManager &pm);

/// Registers the pipelines above with the pass registry (llmc-opt).
void registerLlmcPipelines();

} // namespace llmc

#endif // LLMC_PASSES_PASSES_H
