//===- DraftSource.h - a server's drafted tokens for speculative decoding -===//
//
// What the scheduler verifies besides each decoding request's last token
// (docs/serving.md): up to k tokens per request, by n-gram lookup in its
// tokens so far, or from the artifact's draft model, which runs as a paged
// Session of its own with one row per row of the scheduler's. A draft
// model's row follows its request by itself: each call first cuts the row
// back to the longest prefix it shares with the request's tokens (the
// drafts the target rejected go; a new request in the row keeps what its
// prompt shares with the one before) and feeds the rest, so preemption,
// rejection and row reuse need no bookkeeping beyond endRow().
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_DRAFTSOURCE_H
#define LLMC_RUNTIME_SERVE_DRAFTSOURCE_H

#include "runtime/generate/Session.h"
#include "runtime/speculative/Acceptance.h"

#include <memory>

namespace llmc::runtime {

class DraftSource {
public:
  /// The drafts of `model`'s artifact (n-gram lookup or its draft model,
  /// in a paged session of `batch` rows); an error when it has none.
  static Expected<std::unique_ptr<DraftSource>> create(Model &model,
                                                       int64_t batch);

  /// One request's wish: up to `count` tokens continuing `tokens` (its
  /// prompt and output so far), for the scheduler's row `row`. A draft
  /// model draws them as `sampler` would (greedy: its argmax), its
  /// variates from `rng`.
  struct Ask {
    int64_t row;
    const std::vector<int64_t> *tokens;
    int64_t count;
    const Sampler *sampler;
    Acceptor *rng;
  };
  /// Drafted tokens (maybe fewer than asked: n-gram lookup finds what it
  /// finds) and, from a draft model that samples, the distribution each
  /// was drawn from (empty: proposed with certainty).
  struct Draft {
    std::vector<int64_t> tokens;
    std::vector<std::vector<double>> q;
  };
  /// One draft per ask, in order; an error when the draft model's call
  /// fails (its rows start afresh next time).
  Expected<std::vector<Draft>> draft(const std::vector<Ask> &asks);

  /// Row `row`'s request ended or left it: the draft model's blocks go
  /// back.
  void endRow(int64_t row);

private:
  DraftSource(int64_t ngram, std::unique_ptr<Session> session, int64_t batch)
      : ngram_(ngram), session_(std::move(session)),
        fed_(static_cast<size_t>(batch)) {}
  /// After a failed call of the draft model: every row starts afresh
  /// (its blocks may lack the call's keys and values); `status`, naming the
  /// draft model.
  Status fail(const Status &status);
  /// Brings the draft model's row of each ask to all of its tokens; the
  /// last one's logits per ask.
  Expected<std::vector<std::vector<float>>>
  catchUp(const std::vector<Ask> &asks);

  int64_t ngram_;
  std::unique_ptr<Session> session_;
  /// Per row: the tokens the draft model's cache holds.
  std::vector<std::vector<int64_t>> fed_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_DRAFTSOURCE_H
