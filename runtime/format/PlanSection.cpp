//===- PlanSection.cpp - a plan section, verified -------------------------===//

#include "runtime/format/PlanSection.h"

namespace llmc::runtime {

Expected<const format::Plan *> planSection(const Artifact &artifact,
                                           const std::string &section) {
  Expected<Bytes> bytes = artifact.section(section);
  if (!bytes)
    return bytes.status();
  flatbuffers::Verifier verifier(bytes->data, bytes->size);
  if (!verifier.VerifyBuffer<format::Plan>(nullptr))
    return Status::error("the " + section +
                         " section is not a valid llmc plan");
  return flatbuffers::GetRoot<format::Plan>(bytes->data);
}

} // namespace llmc::runtime
