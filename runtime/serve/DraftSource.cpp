//===- DraftSource.cpp - a server's drafted tokens for speculative decoding
//===//

#include "runtime/serve/DraftSource.h"

#include "runtime/speculative/NgramDraft.h"

#include <algorithm>
#include <map>

namespace llmc::runtime {

Expected<std::unique_ptr<DraftSource>> DraftSource::create(Model &model,
                                                           int64_t batch) {
  if (Status status = model.checkSpeculative(); !status)
    return status;
  const SpeculativeInfo &info = model.info().speculative;
  std::unique_ptr<Session> session;
  if (model.draft()) {
    Expected<std::unique_ptr<Session>> made =
        Session::create(*model.draft(), batch);
    if (!made)
      return made.status().withContext("the draft model");
    if (!(*made)->kvBlocks())
      return Status::error("the draft model's KV cache is not paged: "
                           "compile the artifact again with --kv-layout "
                           "paged");
    session = std::move(*made);
  }
  return std::unique_ptr<DraftSource>(
      new DraftSource(info.ngram, std::move(session), batch));
}

void DraftSource::endRow(int64_t row) {
  if (session_)
    session_->endRow(row);
  fed_[size_t(row)].clear();
}

Status DraftSource::fail(const Status &status) {
  for (size_t row = 0; row < fed_.size(); ++row)
    endRow(int64_t(row));
  return status.withContext("the draft model");
}

Expected<std::vector<std::vector<float>>>
DraftSource::catchUp(const std::vector<Ask> &asks) {
  // Each row feeds its tokens past the prefix its cache shares with them,
  // at least the last one (whose logits draft); rows feeding as many go
  // in one call.
  std::map<size_t, std::vector<size_t>> byCount;
  for (size_t i = 0; i < asks.size(); ++i) {
    const Ask &ask = asks[i];
    const std::vector<int64_t> &tokens = *ask.tokens;
    std::vector<int64_t> &fed = fed_[size_t(ask.row)];
    if (!session_->rowRunning(ask.row)) {
      Expected<int64_t> cached = session_->startRow(ask.row, tokens);
      if (!cached)
        return fail(cached.status());
      fed.assign(tokens.begin(), tokens.begin() + *cached);
    }
    size_t shared = size_t(
        std::mismatch(fed.begin(), fed.end(), tokens.begin(), tokens.end())
            .first -
        fed.begin());
    shared = std::min(shared, tokens.size() - 1);
    if (shared < fed.size()) {
      if (Status status = session_->truncateRow(ask.row, int64_t(shared));
          !status)
        return fail(status);
      fed.resize(shared);
    }
    byCount[tokens.size() - shared].push_back(i);
  }
  const size_t vocab = size_t(session_->model().info().vocabSize);
  std::vector<std::vector<float>> last(asks.size());
  for (const auto &[count, members] : byCount) {
    std::vector<int64_t> rows, ids;
    for (size_t i : members) {
      rows.push_back(asks[i].row);
      ids.insert(ids.end(), asks[i].tokens->end() - int64_t(count),
                 asks[i].tokens->end());
    }
    Expected<Tensor> logits = session_->appendRows(rows, ids, true);
    if (!logits)
      return fail(logits.status());
    for (size_t j = 0; j < members.size(); ++j) {
      const float *row = logits->as<float>() + j * vocab;
      last[members[j]].assign(row, row + vocab);
      fed_[size_t(asks[members[j]].row)] = *asks[members[j]].tokens;
    }
  }
  return last;
}

Expected<std::vector<DraftSource::Draft>>
DraftSource::draft(const std::vector<Ask> &asks) {
  std::vector<Draft> drafts(asks.size());
  if (!session_) {
    for (size_t i = 0; i < asks.size(); ++i)
      drafts[i].tokens = ngramDraft(*asks[i].tokens, ngram_, asks[i].count);
    return drafts;
  }
  // The draft model feeds a request's tokens and all its drafts but the
  // last: no more than its context holds.
  const int64_t context = session_->model().info().maxSeq;
  std::vector<Ask> live;
  std::vector<size_t> index;
  for (size_t i = 0; i < asks.size(); ++i) {
    Ask ask = asks[i];
    ask.count =
        std::min<int64_t>(ask.count, context + 1 - int64_t(ask.tokens->size()));
    if (ask.count < 1)
      continue;
    live.push_back(ask);
    index.push_back(i);
  }
  if (live.empty())
    return drafts;
  Expected<std::vector<std::vector<float>>> logits = catchUp(live);
  if (!logits)
    return logits.status();
  const size_t vocab = size_t(session_->model().info().vocabSize);
  std::vector<std::vector<float>> rows = std::move(*logits);
  while (true) {
    // Each live ask draws its next token as its sampler would; those
    // wanting more feed it.
    std::vector<int64_t> feedRows, feedIds;
    std::vector<size_t> fed;
    for (size_t j = 0; j < live.size(); ++j) {
      Draft &d = drafts[index[j]];
      if (int64_t(d.tokens.size()) == live[j].count)
        continue;
      d.q.push_back(live[j].sampler->distribution(rows[j].data(), vocab));
      d.tokens.push_back(live[j].rng->draw(d.q.back()));
      if (int64_t(d.tokens.size()) < live[j].count) {
        feedRows.push_back(live[j].row);
        feedIds.push_back(d.tokens.back());
        fed.push_back(j);
      }
    }
    if (fed.empty())
      return drafts;
    Expected<Tensor> next = session_->appendRows(feedRows, feedIds, true);
    if (!next)
      return fail(next.status());
    for (size_t f = 0; f < fed.size(); ++f) {
      const float *row = next->as<float>() + f * vocab;
      rows[fed[f]].assign(row, row + vocab);
      fed_[size_t(feedRows[f])].push_back(feedIds[f]);
    }
  }
}

} // namespace llmc::runtime
