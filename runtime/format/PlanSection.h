//===- PlanSection.h - a plan section, verified ---------------------------===//
//
// The flatbuffer of a "plan" section ("plan", "draft plan", "rank N
// plan"), checked before anything reads it: the runtime's Program and
// `llmc-run info` both start here.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_PLANSECTION_H
#define LLMC_RUNTIME_FORMAT_PLANSECTION_H

#include "runtime/format/Artifact.h"
#include "runtime/format/artifact_generated.h"

namespace llmc::runtime {

/// Section `section` of `artifact` as a plan (valid while the artifact
/// lives), or an error naming it when it is missing or not a plan.
Expected<const format::Plan *> planSection(const Artifact &artifact,
                                           const std::string &section);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_FORMAT_PLANSECTION_H
