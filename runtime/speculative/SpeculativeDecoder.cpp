//===- SpeculativeDecoder.cpp - generation that verifies drafted tokens ---===//

#include "runtime/speculative/SpeculativeDecoder.h"

#include "runtime/speculative/NgramDraft.h"
#include "runtime/support/Clock.h"

#include <algorithm>

namespace llmc::runtime {

std::vector<int64_t>
SpeculativeDecoder::callPositions(const std::vector<int64_t> &positions,
                                  int64_t width, int64_t maxSeq) const {
  std::vector<int64_t> at = positions;
  for (size_t b = 0; b < at.size(); ++b)
    if (!active_[b])
      at[b] = std::min(at[b], maxSeq - width);
  return at;
}

Expected<std::unique_ptr<SpeculativeDecoder>>
SpeculativeDecoder::create(Session &session,
                           const SpeculativeOptions &options) {
  const ModelInfo &info = session.model().info();
  if (Status status = session.model().checkSpeculative(); !status)
    return status;
  if (options.draftTokens < 1 ||
      options.draftTokens > info.speculative.draftTokens)
    return Status::error(
        "--draft-tokens " + std::to_string(options.draftTokens) +
        " is outside 1.." + std::to_string(info.speculative.draftTokens) +
        " (the artifact's --max-draft-tokens)");
  Model *draftModel = session.model().draft();
  if (info.speculative.ngram < 1 && !draftModel)
    return Status::error("the artifact's draft '" + info.speculative.source +
                         "' is not one this runtime runs");
  Expected<Sampler> sampler = Sampler::create(options.sampling);
  if (!sampler)
    return sampler.status();
  std::unique_ptr<SpeculativeDecoder> decoder(
      new SpeculativeDecoder(session, options, std::move(*sampler)));
  if (draftModel) {
    Expected<std::unique_ptr<Session>> draft =
        Session::create(*draftModel, session.batch());
    if (!draft)
      return draft.status().withContext("the draft model");
    decoder->draftSession_ = std::move(*draft);
  }
  return decoder;
}

Status SpeculativeDecoder::startPrompts(Session &session,
                                        std::vector<int64_t> &positions) {
  const int64_t batch = session.batch();
  size_t shortest = tokens_[0].size();
  for (const std::vector<int64_t> &prompt : tokens_)
    shortest = std::min(shortest, prompt.size());
  // The shortest prompt's tokens but its last, for every sequence at once.
  positions.assign(batch, 0);
  if (shortest > 1) {
    std::vector<int64_t> ids;
    for (const std::vector<int64_t> &prompt : tokens_)
      ids.insert(ids.end(), prompt.begin(), prompt.begin() + shortest - 1);
    Expected<Tensor> prefilled = session.prefill(ids);
    if (!prefilled)
      return prefilled.status();
    positions.assign(batch, static_cast<int64_t>(shortest) - 1);
  }
  return catchUp(session, positions);
}

Status SpeculativeDecoder::catchUp(Session &session,
                                   std::vector<int64_t> &positions,
                                   const std::vector<int64_t> *offsets) {
  const int64_t batch = session.batch();
  const int64_t most = session.model().info().speculative.draftTokens + 1;
  auto from = [&](int64_t b) { return offsets ? (*offsets)[b] : 0; };
  // Through @verify, a sequence with nothing (more) to feed filling its
  // row with its last token (written past its position, overwritten
  // later).
  while (true) {
    int64_t left = 0;
    for (int64_t b = 0; b < batch; ++b)
      if (active_[b])
        left = std::max(left, int64_t(tokens_[b].size()) - 1 - from(b) -
                                  positions[b]);
    if (left == 0)
      return Status::success();
    int64_t width = std::min(left, most);
    std::vector<int64_t> ids;
    std::vector<int64_t> fed(batch);
    for (int64_t b = 0; b < batch; ++b) {
      const std::vector<int64_t> &row = tokens_[b];
      const int64_t at = from(b) + positions[b];
      fed[b] = active_[b]
                   ? std::clamp<int64_t>(int64_t(row.size()) - 1 - at, 0, width)
                   : 0;
      ids.insert(ids.end(), row.begin() + at, row.begin() + at + fed[b]);
      ids.insert(ids.end(), width - fed[b], row.back());
    }
    Expected<Tensor> scored = session.verify(
        ids, callPositions(positions, width, session.model().info().maxSeq));
    if (!scored)
      return scored.status();
    for (int64_t b = 0; b < batch; ++b)
      positions[b] += fed[b];
  }
}

Status SpeculativeDecoder::draftWithModel(
    int64_t count, std::vector<std::vector<int64_t>> &drafts,
    std::vector<std::vector<std::vector<double>>> &qs, double &catchUpMs) {
  Session &draft = *draftSession_;
  const int64_t batch = draft.batch();
  // Steps that drafted nothing left the draft behind by their tokens. Far
  // behind (plain decoding, then a probe), it restarts from the last
  // kDraftWindow tokens instead of reading them all: what it proposes is
  // still checked, so the window costs acceptance at most, never output.
  for (int64_t b = 0; b < batch; ++b) {
    int64_t length = int64_t(tokens_[b].size());
    if (active_[b] &&
        length - 1 - draftOffsets_[b] - draftPositions_[b] > kDraftWindow) {
      draftOffsets_[b] = length - kDraftWindow;
      draftPositions_[b] = 0;
    }
  }
  // Behind by more than one call takes (after plain steps), it catches up
  // first, timed apart: a probe's cost, not a drafted token's.
  const int64_t widest = draft.model().info().speculative.draftTokens + 1;
  int64_t behind = 0;
  for (int64_t b = 0; b < batch; ++b)
    if (active_[b])
      behind = std::max(behind, int64_t(tokens_[b].size()) - draftOffsets_[b] -
                                    draftPositions_[b]);
  if (behind > widest) {
    Clock::time_point start = Clock::now();
    if (Status status = catchUp(draft, draftPositions_, &draftOffsets_);
        !status)
      return status;
    catchUpMs = millisSince(start);
  }
  // Then one drafted token per call, the first call feeding what the
  // draft's cache lacks with it (the last token; after a step that kept
  // every draft, the last drafted one and the target's: one call of two
  // tokens, about the cost of one, not two calls).
  for (int64_t i = 0; i < count; ++i) {
    std::vector<int64_t> fed(batch, 0);
    int64_t width = 1;
    for (int64_t b = 0; b < batch; ++b) {
      int64_t missing = int64_t(tokens_[b].size()) - draftOffsets_[b] -
                        draftPositions_[b] + int64_t(drafts[b].size());
      fed[b] = active_[b] ? missing : 0;
      width = std::max(width, fed[b]);
    }
    std::vector<int64_t> ids;
    for (int64_t b = 0; b < batch; ++b) {
      // Its tokens, then its drafts, from what the draft's cache lacks.
      const std::vector<int64_t> &tokens = tokens_[b];
      const int64_t length = int64_t(tokens.size());
      for (int64_t j = draftOffsets_[b] + draftPositions_[b], end = j + fed[b];
           j < end; ++j)
        ids.push_back(j < length ? tokens[j] : drafts[b][j - length]);
      ids.insert(ids.end(), width - fed[b], tokens.back());
    }
    Expected<Tensor> logits =
        draft.verify(ids, callPositions(draftPositions_, width,
                                        draft.model().info().maxSeq));
    if (!logits)
      return logits.status();
    const int64_t vocab = logits->shape.back();
    for (int64_t b = 0; b < batch; ++b) {
      if (!active_[b])
        continue;
      draftPositions_[b] += fed[b];
      const float *row = logits->as<float>() + (b * width + fed[b] - 1) * vocab;
      std::vector<double> q =
          sampler_.distribution(row, static_cast<size_t>(vocab));
      int64_t token;
      if (options_.sampling.temperature == 0.0f) {
        token = std::max_element(q.begin(), q.end()) - q.begin();
        q.clear(); // greedy drafts are certain
      } else {
        std::discrete_distribution<int64_t> pick(q.begin(), q.end());
        token = pick(drafting_);
      }
      drafts[b].push_back(token);
      qs[b].push_back(std::move(q));
    }
  }
  return Status::success();
}

Status SpeculativeDecoder::draft(
    int64_t count, std::vector<std::vector<int64_t>> &drafts,
    std::vector<std::vector<std::vector<double>>> &qs, double &catchUpMs) {
  const int64_t batch = session_.batch();
  drafts.assign(batch, {});
  qs.assign(batch, {});
  catchUpMs = 0.0;
  if (count == 0)
    return Status::success();
  if (draftSession_)
    return draftWithModel(count, drafts, qs, catchUpMs);
  for (int64_t b = 0; b < batch; ++b)
    if (active_[b]) {
      drafts[b] = ngramDraft(tokens_[b],
                             session_.model().info().speculative.ngram, count);
      qs[b].assign(drafts[b].size(), {});
    }
  return Status::success();
}

Expected<bool> SpeculativeDecoder::append(
    int64_t b, int64_t token,
    const std::function<Status(int64_t, int64_t)> &emit) {
  if (std::find(options_.stops.begin(), options_.stops.end(), token) !=
      options_.stops.end()) {
    stopped_[b] = true;
    return false;
  }
  tokens_[b].push_back(token);
  generated_[b].push_back(token);
  if (emit)
    if (Status status = emit(b, token); !status)
      return status;
  return static_cast<int64_t>(generated_[b].size()) < options_.maxTokens;
}

Status
SpeculativeDecoder::step(const std::function<Status(int64_t, int64_t)> &emit) {
  const int64_t batch = session_.batch();
  const int64_t maxSeq = session_.model().info().maxSeq;
  // What every sequence may draft: the controller's choice, room in the
  // cache for its last token and the drafts, and no more than the one
  // needing most still needs.
  int64_t room = controller_.next(), needed = 0;
  for (int64_t b = 0; b < batch; ++b)
    if (active_[b]) {
      room = std::min(room, maxSeq - positions_[b] - 1);
      needed = std::max<int64_t>(needed, options_.maxTokens -
                                             int64_t(generated_[b].size()) - 1);
    }
  Clock::time_point start = Clock::now();
  std::vector<std::vector<int64_t>> drafts;
  std::vector<std::vector<std::vector<double>>> qs;
  const int64_t asked =
      options_.draftPastBudget ? room : std::min(room, needed);
  double catchUpMs = 0.0;
  if (Status status = draft(asked, drafts, qs, catchUpMs); !status)
    return status;
  int64_t width = 1;
  for (const std::vector<int64_t> &drafted : drafts)
    width = std::max<int64_t>(width, 1 + int64_t(drafted.size()));
  const double draftMs = millisSince(start);
  stats_.draftMs += draftMs;
  stats_.plainSteps += width == 1 ? 1 : 0;

  // Each row: the last token, the drafts, then its last token again up to
  // the widest row (scored, ignored, overwritten later).
  std::vector<int64_t> ids;
  for (int64_t b = 0; b < batch; ++b) {
    ids.push_back(tokens_[b].back());
    ids.insert(ids.end(), drafts[b].begin(), drafts[b].end());
    ids.insert(ids.end(), width - 1 - drafts[b].size(), tokens_[b].back());
  }
  start = Clock::now();
  Expected<Tensor> logits =
      session_.verify(ids, callPositions(positions_, width, maxSeq));
  if (!logits)
    return logits.status();
  stats_.verifyCalls += 1;
  const int64_t acceptedBefore = stats_.accepted,
                rejectedBefore = stats_.rejected;

  const int64_t vocab = logits->shape.back();
  for (int64_t b = 0; b < batch; ++b) {
    if (!active_[b])
      continue;
    const std::vector<int64_t> &drafted = drafts[b];
    const float *rows = logits->as<float>() + b * width * vocab;
    Verdict verdict;
    if (drafted.empty() && options_.sampling.temperature == 0.0f) {
      // A greedy plain step: the argmax (the lowest id among equal
      // maxima), without building its one-hot distribution.
      verdict.next = std::max_element(rows, rows + vocab) - rows;
    } else if (drafted.empty()) {
      // A plain step samples as plain decoding does.
      verdict.next = sampler_.sample(rows, static_cast<size_t>(vocab));
    } else {
      std::vector<std::vector<double>> target;
      for (size_t i = 0; i <= drafted.size(); ++i)
        target.push_back(sampler_.distribution(rows + int64_t(i) * vocab,
                                               static_cast<size_t>(vocab)));
      verdict = acceptor_.accept(drafted, target, qs[b], options_.fault);
    }
    stats_.drafted += static_cast<int64_t>(drafted.size());
    stats_.accepted += verdict.accepted;
    stats_.rejected += verdict.accepted < int64_t(drafted.size()) ? 1 : 0;
    stats_.emitted += verdict.accepted + 1;
    // The draft model's cache holds the drafts it was fed (all but the
    // last) as far as they were kept.
    if (draftSession_)
      draftPositions_[b] -=
          int64_t(drafted.size()) - 1 -
          std::min<int64_t>(verdict.accepted, int64_t(drafted.size()) - 1);
    positions_[b] += verdict.accepted + 1;
    std::vector<int64_t> kept(drafted.begin(),
                              drafted.begin() + verdict.accepted);
    kept.push_back(verdict.next);
    for (int64_t token : kept) {
      Expected<bool> more = append(b, token, emit);
      if (!more)
        return more.status();
      if (!*more) {
        active_[b] = false;
        break;
      }
    }
    // Its last token needs a slot in the cache to be fed.
    if (positions_[b] >= maxSeq)
      active_[b] = false;
  }
  // The verify call's cost includes what follows it: the target's
  // distributions, the acceptance, the tokens' delivery (a plain step
  // samples and delivers its token too).
  const double verifyMs = millisSince(start);
  stats_.verifyMs += verifyMs;
  controller_.record(asked, stats_.accepted - acceptedBefore,
                     stats_.rejected - rejectedBefore, catchUpMs,
                     draftMs - catchUpMs, width, verifyMs);
  stats_.acceptanceEstimate = controller_.acceptance();
  stats_.plainStepMs = controller_.plainStepMs();
  stats_.draftTokenMs = controller_.draftTokenMs();
  return Status::success();
}

Expected<std::vector<std::vector<int64_t>>> SpeculativeDecoder::generate(
    const std::vector<std::vector<int64_t>> &prompts,
    const std::function<Status(int64_t, int64_t)> &emit) {
  const int64_t batch = session_.batch();
  const int64_t maxSeq = session_.model().info().maxSeq;
  if (static_cast<int64_t>(prompts.size()) != batch)
    return Status::error(std::to_string(prompts.size()) + " prompts for " +
                         std::to_string(batch) + " sequences");
  for (const std::vector<int64_t> &prompt : prompts)
    if (prompt.empty() || static_cast<int64_t>(prompt.size()) > maxSeq)
      return Status::error("a prompt of " + std::to_string(prompt.size()) +
                           " tokens: expected 1.." + std::to_string(maxSeq) +
                           " (the artifact's max_seq)");
  stats_ = {};
  tokens_ = prompts;
  generated_.assign(batch, {});
  active_.assign(batch, true);
  stopped_.assign(batch, false);
  Clock::time_point start = Clock::now();
  if (Status status = startPrompts(session_, positions_); !status)
    return status;
  if (draftSession_) {
    draftOffsets_.assign(batch, 0);
    if (Status status = startPrompts(*draftSession_, draftPositions_); !status)
      return status.withContext("the draft model");
  }
  Clock::time_point firstToken;
  bool first = true;
  while (std::find(active_.begin(), active_.end(), true) != active_.end()) {
    if (Status status = step(emit); !status)
      return status;
    if (first) {
      first = false;
      firstToken = Clock::now();
      stats_.firstTokenMs = millisSince(start);
    }
  }
  if (!first)
    stats_.decodeMs = millisSince(firstToken);
  return generated_;
}

} // namespace llmc::runtime
