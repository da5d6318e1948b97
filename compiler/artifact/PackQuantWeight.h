//===- PackQuantWeight.h - a qconstant in the runtime's section layout ----===//
//
// The artifact keeps four code formats (runtime/format/QuantLayout.h);
// every `!llmc.qweight` maps onto one of them: si8 as int8; ui8 as int8
// shifted by 128 (its zero point too); si4 and ui4 as uint4 (si4 shifted by
// 8, so symmetric weights get zero points of 8); fp8 as it is. Per-tensor
// and per-channel scales become groups as wide as a row; bf16 scales f32.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_ARTIFACT_PACKQUANTWEIGHT_H
#define LLMC_COMPILER_ARTIFACT_PACKQUANTWEIGHT_H

#include "dialects/llmc/IR/LlmcOps.h"
#include "runtime/format/QuantLayout.h"

#include <vector>

namespace llmc {

struct PackedQuantWeight {
  format::QuantCodes codes = format::QuantCodes::int8;
  int64_t n = 0, k = 0, group = 0;
  bool halfScales = false, zeros = false;
  std::vector<char> bytes;
};

/// The section contents of `op`'s weight; an error at `op` when the
/// runtime has no layout for it.
mlir::FailureOr<PackedQuantWeight> packQuantWeight(QConstantOp op);

} // namespace llmc

#endif // LLMC_COMPILER_ARTIFACT_PACKQUANTWEIGHT_H
