//===- ElementwiseCall.h - a plan call as an elementwise program ----------===//
//
// What plan-fuse-elementwise chains and plan-outline-cuda-kernels turns
// into generated kernels: a call of a fusable elementwise kernel, or a
// fused_elementwise call, over float tensors of one element type whose
// operands all have the result's type or are single elements.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_FUSION_ELEMENTWISECALL_H
#define LLMC_PASSES_FUSION_ELEMENTWISECALL_H

#include "dialects/plan/IR/PlanOps.h"

#include <optional>

namespace llmc {

/// A call as a program over its inputs (runtime/format/ElementwiseProgram.h).
struct ElementwiseCall {
  llvm::SmallVector<mlir::Value> inputs;
  llvm::SmallVector<int64_t> code;
};

/// `call` as a program, or nothing when it is not such a call.
std::optional<ElementwiseCall> asElementwiseCall(plan::CallOp call);

} // namespace llmc

#endif // LLMC_PASSES_FUSION_ELEMENTWISECALL_H
