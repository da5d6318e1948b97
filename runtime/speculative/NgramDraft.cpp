//===- NgramDraft.cpp - drafting by n-gram lookup in the sequence so far --===//

#include "runtime/speculative/NgramDraft.h"

#include <algorithm>

namespace llmc::runtime {

std::vector<int64_t> ngramDraft(const std::vector<int64_t> &sequence, int64_t n,
                                int64_t count) {
  const int64_t length = static_cast<int64_t>(sequence.size());
  for (int64_t m = std::min(n, length - 1); m >= 1 && count > 0; --m) {
    const int64_t *suffix = sequence.data() + length - m;
    // The most recent earlier occurrence: it starts before length - m.
    for (int64_t start = length - m - 1; start >= 0; --start) {
      if (!std::equal(suffix, suffix + m, sequence.data() + start))
        continue;
      int64_t from = start + m;
      int64_t take = std::min(count, length - from);
      return {sequence.begin() + from, sequence.begin() + from + take};
    }
  }
  return {};
}

} // namespace llmc::runtime
