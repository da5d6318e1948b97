//===- SpeculativeDecoder.h - generation that verifies drafted tokens -----===//
//
// Continues a batch of prompts (any lengths) with speculative decoding
// through a Session of an artifact compiled with a draft: each step drafts
// up to k tokens per sequence, scores the last accepted token and the
// drafts in one @verify call, each sequence from its own position, and
// keeps what the lossless rule (Acceptance.h) accepts plus one token of
// the target's. Rejected tokens' keys and values stay in the cache past the
// sequence's position, to be overwritten by the next call. Prompts of
// different lengths share a prefill of the shortest; the rest of each goes
// through @verify too. A sequence stops at a stop token (not emitted), at
// its token budget, or at max_seq, where plain decoding stops.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SPECULATIVE_SPECULATIVEDECODER_H
#define LLMC_RUNTIME_SPECULATIVE_SPECULATIVEDECODER_H

#include "runtime/generate/Session.h"
#include "runtime/speculative/Acceptance.h"
#include "runtime/speculative/Controller.h"

#include <functional>

namespace llmc::runtime {

struct SpeculativeOptions {
  /// Drafted tokens per step (at most the artifact's): always that many
  /// (but the first steps, which measure plain decoding), or with
  /// `adaptive` at most that many, as the controller decides
  /// (Controller.h).
  int64_t draftTokens = 4;
  bool adaptive = true;
  /// The first steps plain, measuring plain decoding (Controller.h).
  bool measurePlainFirst = true;
  /// Draft k tokens even when fewer are still wanted (a statistical test
  /// of the first tokens with every step's k as asked); else a sequence
  /// near its budget drafts only what it could keep.
  bool draftPastBudget = false;
  /// Tokens to generate per sequence at most.
  int64_t maxTokens = 128;
  std::vector<int64_t> stops;
  SamplingParams sampling;
  AcceptanceFault fault = AcceptanceFault::none;
};

struct SpeculativeStats {
  /// Verify calls while generating (not those finishing the prompts).
  int64_t verifyCalls = 0;
  /// Summed over sequences: tokens drafted, accepted, and emitted by those
  /// calls (accepted + one per call and sequence); the calls' sequences
  /// that rejected a draft.
  int64_t drafted = 0, accepted = 0, emitted = 0, rejected = 0;
  /// Drafting (a draft model catching up included), and the verify calls
  /// with what follows each: the acceptance, the tokens' delivery.
  double draftMs = 0.0, verifyMs = 0.0;
  /// Steps that drafted nothing (the controller's plain steps).
  int64_t plainSteps = 0;
  /// The controller's estimates at the end: acceptance rate, a plain
  /// step's and a drafted token's milliseconds.
  double acceptanceEstimate = 0.0, plainStepMs = 0.0, draftTokenMs = 0.0;
  /// Tokens per second over plain decoding's, by the measured plain step:
  /// tokens per sequence * plain step / (drafting + verifying).
  double speedup(int64_t batch) const {
    double spent = draftMs + verifyMs;
    return spent > 0.0 ? double(emitted) / double(batch) * plainStepMs / spent
                       : 0.0;
  }
  /// What Leviathan et al.'s formula predicts from the measured acceptance
  /// and costs for k drafts: E(k) / (k c + 1).
  double predicted(int64_t k) const {
    double c = plainStepMs > 0.0 ? draftTokenMs / plainStepMs : 0.0;
    return Controller::expectedTokens(acceptanceEstimate, k) /
           (double(k) * c + 1.0);
  }
  /// From the start to the first generated token, and from there on.
  double firstTokenMs = 0.0, decodeMs = 0.0;

  /// Kept over drafted tokens (what vLLM reports as the acceptance rate).
  double acceptanceRate() const {
    return drafted ? double(accepted) / double(drafted) : 0.0;
  }
  /// Leviathan et al.'s a, the chance a drafted token is kept given those
  /// before it were: kept over tested tokens (those up to each first
  /// rejection). At k = 4 and a = 0.5, kept over drafted is 0.23.
  double tokenAcceptance() const {
    return accepted + rejected ? double(accepted) / double(accepted + rejected)
                               : 0.0;
  }
};

class SpeculativeDecoder {
public:
  /// `session`'s model must pass checkSpeculative(); a draft model of
  /// the artifact gets a session of its own, of the same batch.
  static Expected<std::unique_ptr<SpeculativeDecoder>>
  create(Session &session, const SpeculativeOptions &options);

  /// One prompt per sequence of the session; `emit(sequence, token)` sees
  /// each generated token in order. Returns the generated tokens.
  Expected<std::vector<std::vector<int64_t>>>
  generate(const std::vector<std::vector<int64_t>> &prompts,
           const std::function<Status(int64_t, int64_t)> &emit);

  const SpeculativeStats &stats() const { return stats_; }
  /// Per sequence: whether it stopped at a stop token.
  const std::vector<bool> &stopped() const { return stopped_; }

private:
  SpeculativeDecoder(Session &session, const SpeculativeOptions &options,
                     Sampler sampler)
      : session_(session), options_(options), sampler_(std::move(sampler)),
        acceptor_(options.sampling.seed),
        drafting_(options.sampling.seed ^ 0x9e3779b97f4a7c15ull),
        controller_(options.draftTokens, options.adaptive,
                    options.measurePlainFirst) {}
  /// Feeds every prompt but its last token into `session`'s cache: a
  /// prefill of the shortest, then catchUp; sets `positions`.
  Status startPrompts(Session &session, std::vector<int64_t> &positions);
  /// Feeds every running sequence's tokens but its last from `positions`
  /// (the tokens already in `session`'s cache) on, advancing them; with
  /// `offsets`, sequence b's cache holds its tokens from offsets[b] on.
  Status catchUp(Session &session, std::vector<int64_t> &positions,
                 const std::vector<int64_t> *offsets = nullptr);
  /// Up to `count` drafted tokens per active sequence and, from a draft
  /// model that samples, the distribution each was drawn from (empty: the
  /// draft was certain). `catchUpMs`: the time a draft model spent first
  /// on the tokens it had not seen, when more than its first drafting call
  /// takes with it (after plain steps).
  Status draft(int64_t count, std::vector<std::vector<int64_t>> &drafts,
               std::vector<std::vector<std::vector<double>>> &qs,
               double &catchUpMs);
  /// The draft model's `count` tokens per active sequence.
  Status draftWithModel(int64_t count,
                        std::vector<std::vector<int64_t>> &drafts,
                        std::vector<std::vector<std::vector<double>>> &qs,
                        double &catchUpMs);
  /// One draft-and-verify step over the active sequences.
  Status step(const std::function<Status(int64_t, int64_t)> &emit);
  /// `positions` for a call of `width` tokens: a finished sequence's row
  /// (ignored) moved back where it fits the cache.
  std::vector<int64_t> callPositions(const std::vector<int64_t> &positions,
                                     int64_t width, int64_t maxSeq) const;
  /// Appends `token` to sequence `b`; false once it stops.
  Expected<bool> append(int64_t b, int64_t token,
                        const std::function<Status(int64_t, int64_t)> &emit);

  Session &session_;
  SpeculativeOptions options_;
  Sampler sampler_;
  Acceptor acceptor_;
  /// The draft model's session (null: n-gram lookup), the tokens in its
  /// cache per sequence, and the variates its sampling draws.
  std::unique_ptr<Session> draftSession_;
  /// Per sequence: where in its tokens the draft's cache starts, and how
  /// many it holds from there.
  std::vector<int64_t> draftOffsets_, draftPositions_;
  /// The tokens a far-behind draft restarts from.
  static constexpr int64_t kDraftWindow = 8;
  std::mt19937_64 drafting_;
  Controller controller_;
  SpeculativeStats stats_;
  /// Per sequence: prompt and generated tokens; tokens in the cache (all
  /// but the last while it runs); generated ones; whether it still runs.
  std::vector<std::vector<int64_t>> tokens_, generated_;
  std::vector<int64_t> positions_;
  std::vector<bool> active_, stopped_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SPECULATIVE_SPECULATIVEDECODER_H
