//===- Candidates.cpp - the part of a row of logits a sampler needs -------===//

#include "runtime/sampler/Candidates.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace llmc::runtime {

double selectCandidates(const float *row, int64_t vocab,
                        const CandidateQuery &query, std::vector<float> &logits,
                        std::vector<int64_t> &ids) {
  if (vocab <= 0)
    return 0.0;
  std::vector<float> sorted(row, row + vocab);
  std::sort(sorted.begin(), sorted.end(), std::greater<float>());
  float threshold = sorted.back();
  double rest = 0.0;
  if (query.k > 0) {
    threshold = sorted[std::min(query.k, vocab) - 1];
  } else {
    // The smallest prefix of the sorted row holding `mass` of the softmax.
    const float top = sorted[0];
    auto weight = [&](float l) {
      return std::exp((double(l) - top) / query.temperature);
    };
    double total = 0.0;
    for (float l : sorted)
      total += weight(l);
    double running = 0.0;
    for (float l : sorted) {
      running += weight(l);
      if (running >= query.mass * total) {
        threshold = l;
        break;
      }
    }
    for (float l : sorted)
      if (l < threshold)
        rest += weight(l);
  }
  for (int64_t i = vocab; i-- > 0;)
    if (row[i] >= threshold) {
      logits.push_back(row[i]);
      ids.push_back(i);
    }
  return rest;
}

} // namespace llmc::runtime
