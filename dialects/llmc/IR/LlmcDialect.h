//===- LlmcDialect.h - the llmc dialect -----------------------------------===//

#ifndef LLMC_DIALECTS_LLMC_IR_LLMCDIALECT_H
#define LLMC_DIALECTS_LLMC_IR_LLMCDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/llmc/IR/LlmcDialect.h.inc"

#endif // LLMC_DIALECTS_LLMC_IR_LLMCDIALECT_H
