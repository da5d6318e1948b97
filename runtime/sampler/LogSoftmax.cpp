//===- LogSoftmax.cpp - log-probabilities of a row of logits -------------===//

#include "runtime/sampler/LogSoftmax.h"

#include <algorithm>
#include <cmath>

namespace llmc::runtime {

void logSoftmax(const float *row, int64_t vocab, std::vector<double> &out) {
  out.resize(vocab);
  double peak = row[0];
  for (int64_t v = 1; v < vocab; ++v)
    peak = std::max<double>(peak, row[v]);
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v)
    sum += std::exp(row[v] - peak);
  double shift = peak + std::log(sum);
  for (int64_t v = 0; v < vocab; ++v)
    out[v] = row[v] - shift;
}

} // namespace llmc::runtime
