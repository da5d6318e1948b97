//===- LogSoftmax.h - log-probabilities of a row of logits ---------------===//
//
// Perplexity (llmc-run eval) and the calibration loss the compiler's head
// pruning ranks heads by both score next tokens this way.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SAMPLER_LOGSOFTMAX_H
#define LLMC_RUNTIME_SAMPLER_LOGSOFTMAX_H

#include <cstdint>
#include <vector>

namespace llmc::runtime {

/// log-softmax of one row of `vocab` logits, in double.
void logSoftmax(const float *row, int64_t vocab, std::vector<double> &out);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SAMPLER_LOGSOFTMAX_H
