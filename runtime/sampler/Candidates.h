//===- Candidates.h - the part of a row of logits a sampler needs ---------===//
//
// A sampler that depends on a row's most likely tokens alone gets them from
// the device instead of the whole row (a GPU copies back a few hundred
// values rather than the vocabulary): greedy and top-k need the tokens at
// or above the k-th largest logit; top-p alone needs the tokens holding
// at least p of the softmax, and the softmax mass of the others, to
// normalize. Sampler::candidateQuery says which; Device::candidates
// selects; Sampler::sampleCandidates draws what Sampler::sample would draw
// from the whole row. selectCandidates is the selection's definition: the
// CPU-side devices run it, the GPU kernel (kernels/cuda/Sampling.cu)
// finds the same threshold by bisection.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SAMPLER_CANDIDATES_H
#define LLMC_RUNTIME_SAMPLER_CANDIDATES_H

#include <cstdint>
#include <vector>

namespace llmc::runtime {

struct CandidateQuery {
  /// k > 0: every token whose logit is at least the row's k-th largest.
  int64_t k = 0;
  /// k == 0 and mass > 0: every token whose logit is at least the largest
  /// threshold t such that the tokens at or above t hold `mass` of
  /// softmax(logits / temperature).
  float mass = 0.0f;
  float temperature = 1.0f;
  /// Whether the device is asked anything (else the host reads the rows).
  bool any() const { return k > 0 || mass > 0.0f; }
};

/// The candidates of one row of `vocab` logits for `query`, appended to
/// `logits` and `ids` (highest id first: the order is the sampler's to
/// fix). Returns the rest: the sum of exp((l - max) / temperature) over
/// the tokens left out (0 for a k query).
double selectCandidates(const float *row, int64_t vocab,
                        const CandidateQuery &query, std::vector<float> &logits,
                        std::vector<int64_t> &ids);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SAMPLER_CANDIDATES_H
