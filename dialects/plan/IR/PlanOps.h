//===- PlanOps.h - the plan dialect: kernel calls on planned buffers ------===//
#ifndef LLMC_DIALECTS_PLAN_IR_PLANOPS_H
#define LLMC_DIALECTS_PLAN_IR_PLANOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/plan/IR/PlanDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/plan/IR/PlanOps.h.inc"

#endif // LLMC_DIALECTS_PLAN_IR_PLANOPS_H
