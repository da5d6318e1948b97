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

#include "runtime/support/Status.h"

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

  /// How many of a row's most likely tokens sample() depends on: 1 for
  /// greedy, top-k when set; 0 when it needs them all (top-p alone, or
  /// plain sampling).
  int64_t candidatesNeeded() const;

  /// What sample() returns for the row, from candidates alone: every token
  /// whose logit is at least the row's candidatesNeeded()-th largest (and
  /// any number below it), in any order. A GPU selects them and copies back
  /// these instead of the whole row. Draws the same variate sample() would.
  int64_t sampleCandidates(const float *logits, const int64_t *ids,
                           size_t count);

  /// The probabilities sample() draws from (one-hot for greedy).
  std::vector<double> distribution(const float *logits, size_t vocab) const;

private:
  explicit Sampler(const SamplingParams &params)
      : params_(params), engine_(params.seed) {}
  /// The kept tokens' probabilities, `order` (positions in `logits`, by
  /// decreasing logit, ties by lower id) limited to the kept prefix.
  std::vector<double> keptProbabilities(const float *logits,
                                        std::vector<size_t> &order) const;
  /// A uniform variate in [0, 1) from the top 53 bits of one draw.
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }
  SamplingParams params_;
  std::mt19937_64 engine_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SAMPLER_SAMPLER_H
