//===- WeightSummary.cpp - what a plan's weights are, read from the file --===//

#include "runtime/format/WeightSummary.h"

#include "runtime/format/PlanSection.h"

#include <set>

namespace llmc::runtime {
namespace fb = llmc::format;

Expected<std::map<std::string, WeightKind>>
summarizeWeights(const Artifact &artifact, const std::string &section) {
  Expected<const fb::Plan *> read = planSection(artifact, section);
  if (!read)
    return read.status();
  const fb::Plan *plan = *read;
  std::map<std::string, WeightKind> kinds;
  std::set<int32_t> seen;
  if (!plan->entries())
    return kinds;
  for (const fb::Entry *entry : *plan->entries()) {
    if (!entry->values())
      continue;
    for (const fb::Value *value : *entry->values()) {
      if (value->kind() != fb::ValueKind::weight ||
          !seen.insert(value->source()).second)
        continue;
      std::string kind = fb::EnumNameDType(value->dtype());
      if (const fb::Quant *quant = value->quant()) {
        // A group of all the inputs: one scale per output channel.
        const int64_t inputs = value->dims() && value->dims()->size() == 2
                                   ? value->dims()->Get(1)->size()
                                   : -1;
        kind = std::string(fb::EnumNameQuantFormat(quant->format())) +
               (quant->group_size() == inputs
                    ? std::string(" (per output channel")
                    : " (group " + std::to_string(quant->group_size())) +
               (quant->zero_points() ? ", zero points" : "") +
               (quant->half_scales() ? ", f16 scales" : "") + ")";
      }
      WeightKind &k = kinds[kind];
      ++k.tensors;
      k.bytes += value->bytes();
    }
  }
  return kinds;
}

} // namespace llmc::runtime
