//===- Controller.h - how many tokens to draft, from measured costs -------===//
//
// Leviathan et al. 2023: with acceptance rate a (the chance a drafted token
// is kept, given the ones before it were) and k drafts, a step yields
// E(k) = (1 - a^(k+1)) / (1 - a) tokens per sequence. It costs the draft's
// k steps and one verify call of k + 1 tokens. The controller measures
// all three while generating: a (kept over tested drafts: those up to and
// including each sequence's first rejection; decayed over the drafting
// steps so it follows the text), the draft's time per drafted token, and
// the verify call's time for each width it has seen (a line fitted through
// them predicts the others; the first drafting step drafts one token).
// Each step it picks the k in 0..K with the most tokens per second, E(k) /
// (k d + V(k + 1)); k = 0 is plain decoding (a one-token verify call),
// chosen unless drafting is estimated to beat it by 5 % (the estimates
// are noisy, and drafting that does not pay costs more than a missed small
// gain).
//
// While it decodes plainly it still drafts one token now and then (a
// probe: after kFirstProbe plain steps, then twice as many after each
// probe that changes nothing), so a text that turns predictable turns
// speculation back on. A probe costs more than a drafting step (a draft
// model behind by the plain steps first catches up on them), so probes are
// also spaced to cost at most kExplore of the time: a draft that never
// pays costs next to nothing, however dear its probes. The draft's
// catching up is timed apart from its drafting: it is a probe's cost, not
// a drafted token's. While it drafts it still decodes plainly every
// kRefreshPlain steps, so the baseline it holds every choice to stays
// current: two steps, the second measured (the first finds the draft's
// weights in the caches, not the target's).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SPECULATIVE_CONTROLLER_H
#define LLMC_RUNTIME_SPECULATIVE_CONTROLLER_H

#include <cstdint>
#include <vector>

namespace llmc::runtime {

class Controller {
public:
  /// `most`: the largest k. `adaptive` false: always `most`. With
  /// `measurePlainFirst` the first steps draft nothing, to measure plain
  /// decoding's cost (the baseline of every choice and of the speed-up
  /// reported).
  Controller(int64_t most, bool adaptive, bool measurePlainFirst = true);

  /// The k of the next step.
  int64_t next();

  /// What a step did: `asked` drafts asked for per sequence (`width` = 1 +
  /// the most any sequence drafted), `accepted` drafts kept over the
  /// sequences, `rejected` sequences that rejected one; the milliseconds
  /// of the draft catching up on the tokens it had not seen, of the
  /// drafting and of the verify call.
  void record(int64_t asked, int64_t accepted, int64_t rejected,
              double catchUpMs, double draftMs, int64_t width, double verifyMs);

  /// The estimated acceptance rate, a one-token verify call's and a
  /// drafted token's milliseconds (0 while unmeasured).
  double acceptance() const;
  double plainStepMs() const { return verify(1); }
  double draftTokenMs() const;
  /// E(k) above.
  static double expectedTokens(double acceptance, int64_t k);

  static constexpr int64_t kFirstProbe = 32, kLastProbe = 1024;
  /// The share of the time probes may cost while drafting does not pay.
  static constexpr double kExplore = 0.01;
  /// While drafting, a plain step at least this often.
  static constexpr int64_t kRefreshPlain = 32;

private:
  /// A verify call's milliseconds at `width`: measured, else from the line
  /// through the measured widths (0 when none is).
  double verify(int64_t width) const;
  /// Tokens per millisecond with k drafts, by the estimates.
  double rate(int64_t k) const;

  int64_t most_;
  bool adaptive_, measurePlainFirst_;
  int64_t steps_ = 0, plainSteps_ = 0, probeEvery_ = kFirstProbe;
  /// The last plain step measured, and whether the last step drafted.
  int64_t lastPlain_ = 0;
  bool afterDraft_ = false;
  /// Whether the step asked for is a probe (or the first drafting step),
  /// whether the last one was, and what the last one cost beyond a plain
  /// step (with the slower plain step after it).
  bool probing_ = false, afterProbe_ = false;
  double probeExtraMs_ = 0.0;
  /// Decayed sums: kept drafts and rejections, drafting time and tokens.
  double kept_ = 0.0, rejected_ = 0.0, draftMs_ = 0.0, draftTokens_ = 0.0;
  /// Per width: decayed sums of verify milliseconds and calls.
  std::vector<double> verifyMs_, verifyCalls_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SPECULATIVE_CONTROLLER_H
