//===- WeightSummary.h - what a plan's weights are, read from the file ----===//
//
// For `llmc-run model.llmc info`: the weights a plan section reads, counted
// by how they are stored (f32, f16, ..., or quantized codes with their
// group size), from the plan's values alone: no device binds them, so a
// cuda artifact is described on a machine without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_WEIGHTSUMMARY_H
#define LLMC_RUNTIME_FORMAT_WEIGHTSUMMARY_H

#include "runtime/format/Artifact.h"

#include <map>

namespace llmc::runtime {

struct WeightKind {
  int64_t tensors = 0;
  uint64_t bytes = 0;
};

/// By kind, e.g. "f32", "int8 (group 128)", "uint4 (group 64, zero
/// points)": the weights of plan section `section`, each counted once.
Expected<std::map<std::string, WeightKind>>
summarizeWeights(const Artifact &artifact, const std::string &section);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_FORMAT_WEIGHTSUMMARY_H
