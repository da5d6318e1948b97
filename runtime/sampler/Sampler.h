//===- Sampler.h - choosing the next token from logits --------------------===//
//
// Greedy decoding, or sampling from the softmax of logits / temperature
// restricted to the top-k tokens and then to the smallest set whose
// probability reaches top-p (the order Hugging Face and vLLM apply them),
// renormalized. A seed fixes the sequence of draws: the same seed and
// logits give the same tokens on every machine (the uniform variates come
// from the raw bits of a 64-bit Mersenne Twister, not from a library
// distribution whose algorithm varies).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SAMPLER_SAMPLER_H
#define LLMC_RUNTIME_SAMPLER_SAMPLER_H

#include "runtime/format/Status.h"
#include "runtime/sampler/Candidates.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace llmc::runtime {

struct SamplingParams {
  /// 0 means greedy (argmax; the lowest id among equal maxima).
  float temperature = 0.0f;
  /// Keep the k most likely tokens; 0 keeps all.
  int64_t topK = 0;
  /// Keep the most likely tokens until their probability reaches p; 1 keeps
  /// all.
  float topP = 1.0f;
  uint64_t seed = 0;
};

class Sampler {
public:
  /// Checks the parameters: temperature >= 0, top-k >= 0, 0 < top-p <= 1.
  static Expected<Sampler> create(const SamplingParams &params);

  /// The next token for `logits` (one per vocabulary entry).
  int64_t sample(const float *logits, size_t vocab);

  /// The part of a row sample() depends on (Candidates.h): the top 1 for
  /// greedy, the top k when top-k is set; for top-p alone, the tokens
  /// holding a little more than p of the softmax (p + kMassMargin, so that
  /// the device's f32 sums cannot cut the nucleus short); nothing (the
  /// whole row) for plain sampling or a p within the margin of 1.
  CandidateQuery candidateQuery() const;
  static constexpr float kMassMargin = 1e-3f;

  /// What sample() returns for the row, from the candidates of
  /// candidateQuery() (in any order) and, for a mass query, `rest`: the
  /// softmax weight exp((l - max) / temperature) of the tokens left out.
  /// Draws the same variate sample() would.
  int64_t sampleCandidates(const float *logits, const int64_t *ids,
                           size_t count, double rest = 0.0);

  /// The probabilities sample() draws from (one-hot for greedy).
  std::vector<double> distribution(const float *logits, size_t vocab) const;

private:
  explicit Sampler(const SamplingParams &params)
      : params_(params), engine_(params.seed) {}
  /// The kept tokens' probabilities, `order` (positions in `logits`, by
  /// decreasing logit, ties by lower id) limited to the kept prefix;
  /// `outside` is the weight of tokens not in `order` (top-p alone from
  /// candidates).
  std::vector<double> keptProbabilities(const float *logits,
                                        std::vector<size_t> &order,
                                        double outside = 0.0) const;
  /// A uniform variate in [0, 1) from the top 53 bits of one draw.
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }
  SamplingParams params_;
  std::mt19937_64 engine_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SAMPLER_SAMPLER_H
