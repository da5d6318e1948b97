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

  /// The probabilities sample() draws from (one-hot for greedy).
  std::vector<double> distribution(const float *logits, size_t vocab) const;

private:
  explicit Sampler(const SamplingParams &params)
      : params_(params), engine_(params.seed) {}
  SamplingParams params_;
  std::mt19937_64 engine_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SAMPLER_SAMPLER_H
