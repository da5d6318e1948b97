//===- Acceptance.h - lossless acceptance of drafted tokens ---------------===//
//
// Speculative sampling (Leviathan et al. 2023; Chen et al. 2023): drafted
// token d_i, drawn from the draft's distribution q_i, is kept with
// probability min(1, p_i(d_i) / q_i(d_i)) while every token before it was
// kept, p_i being the target's distribution at its position; the first one
// rejected is replaced by a draw from norm(max(0, p_i - q_i)); when all k
// are kept, a bonus token is drawn from p_k. Each emitted token is then
// distributed exactly as the target's p given the tokens before it
// (docs/speculative.md has the proof sketch). p and q are the distributions
// the sampler draws from (temperature, top-k, top-p applied alike to
// both); for greedy decoding both are one-hot and the rule keeps a drafted
// token exactly when it is the target's argmax.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SPECULATIVE_ACCEPTANCE_H
#define LLMC_RUNTIME_SPECULATIVE_ACCEPTANCE_H

#include <cstdint>
#include <random>
#include <vector>

namespace llmc::runtime {

/// What verifying one sequence's drafted tokens keeps: the first
/// `accepted` drafted tokens, then `next`, the target's own (the
/// correction of the first rejected one, or the bonus).
struct Verdict {
  int64_t accepted = 0;
  int64_t next = -1;
};

/// Deliberately wrong rules, for the statistical test that must tell them
/// from the right one (test/runtime, docs/speculative.md).
enum class AcceptanceFault {
  none,
  /// On rejection, draw from p instead of norm(max(0, p - q)).
  residualFromTarget,
  /// Keep a drafted token with probability p(x) instead of
  /// min(1, p(x) / q(x)) (the ratio forgotten).
  acceptWithP,
};

class Acceptor {
public:
  explicit Acceptor(uint64_t seed) : engine_(seed) {}

  /// `drafted` holds k tokens; `target` k + 1 distributions over the
  /// vocabulary (the last one for the bonus token); `draft` k, where an
  /// empty one means the draft proposed its token with certainty (q
  /// one-hot: n-gram lookup, a greedy draft model).
  Verdict accept(const std::vector<int64_t> &drafted,
                 const std::vector<std::vector<double>> &target,
                 const std::vector<std::vector<double>> &draft,
                 AcceptanceFault fault = AcceptanceFault::none);

  /// A token drawn from `probabilities` (they need not sum to 1).
  int64_t draw(const std::vector<double> &probabilities);

private:
  /// A uniform variate in [0, 1) from the top 53 bits of one draw.
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }
  std::mt19937_64 engine_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SPECULATIVE_ACCEPTANCE_H
