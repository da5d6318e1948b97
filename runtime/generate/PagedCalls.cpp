//===- PagedCalls.cpp - a session over a paged KV cache -------------------===//
//
// A paged artifact's entry points take, besides the ids and the pool of
// blocks, each sequence's position and block table (docs/kv-cache.md).
// The session keeps one KvBlocks sequence per row of its batch: a prompt
// starts one (taking the cached blocks of its longest prefix of whole
// blocks), every call appends its tokens first (taking blocks from the
// pool, and copying a shared last block before it is written), and a
// sequence that stops gives its blocks back. Rows run at their own
// positions, so prompts of different lengths share a batch, and a
// decode step takes only the rows still going.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Session.h"

#include <algorithm>
#include <cstring>

namespace llmc::runtime {

Status Session::oneLength(const std::vector<std::vector<int64_t>> &prompts) {
  for (const std::vector<int64_t> &prompt : prompts)
    if (prompt.size() != prompts[0].size())
      return Status::error(
          "prompts of different lengths (" + std::to_string(prompts[0].size()) +
          " and " + std::to_string(prompt.size()) +
          " tokens) share a batch over a paged KV cache (compile with "
          "--kv-layout paged) or with speculative decoding (--draft)");
  return Status::success();
}

Status Session::blocksToHost(const std::vector<int32_t> &blocks,
                             uint8_t *host) {
  const uint64_t bytes = blocks_->blockBytes();
  const uint8_t *pool = static_cast<const uint8_t *>(cache_.get());
  for (size_t i = 0; i < blocks.size(); ++i)
    if (Status status = model_.device().toHost(
            host + i * bytes, pool + uint64_t(blocks[i]) * bytes, bytes);
        !status)
      return status;
  return Status::success();
}

Status Session::blocksToDevice(const std::vector<int32_t> &blocks,
                               const uint8_t *host) {
  const uint64_t bytes = blocks_->blockBytes();
  uint8_t *pool = static_cast<uint8_t *>(cache_.get());
  for (size_t i = 0; i < blocks.size(); ++i)
    if (Status status = model_.device().toDevice(
            pool + uint64_t(blocks[i]) * bytes, host + i * bytes, bytes);
        !status)
      return status;
  return Status::success();
}

int64_t Session::receivedCapacity() const {
  const int64_t block = model_.info().cache.blockTokens;
  return (model_.info().maxSeq + block - 1) / block * block;
}

std::vector<float> &Session::receivedOf(int64_t sequence) {
  const CacheInfo &cache = model_.info().cache;
  std::vector<float> &sums = received_[sequence];
  sums.resize(size_t(cache.layers * cache.kvHeads * receivedCapacity()));
  return sums;
}

void Session::prepareReceived(const std::vector<int64_t> &rows) {
  for (auto it = received_.begin(); it != received_.end();)
    it = std::find(rows_.begin(), rows_.end(), it->first) == rows_.end()
             ? received_.erase(it)
             : std::next(it);
  receivedRows_.clear();
  for (int64_t row : rows)
    receivedRows_.push_back(receivedOf(rows_[size_t(row)]).data());
}

void Session::dropBlocks() {
  received_.clear();
  const KvMemory use = blocks_->memory();
  Expected<std::unique_ptr<KvBlocks>> fresh =
      KvBlocks::create(use.reservedBytes(), use.blockBytes, use.blockTokens,
                       model_.info().maxSeq, blocksModel_);
  // The same sizes as before: creating them again cannot fail.
  if (fresh)
    blocks_ = std::move(*fresh);
  std::fill(rows_.begin(), rows_.end(), -1);
}

Expected<Tensor> Session::runPaged(const std::vector<int64_t> &rows,
                                   const std::vector<int64_t> &ids,
                                   bool prefill) {
  const int64_t n = int64_t(rows.size());
  if (n == 0 || ids.empty() || ids.size() % size_t(n) != 0)
    return Status::error("expected a whole number of tokens per sequence");
  const int64_t count = int64_t(ids.size()) / n;
  const ModelInfo &info = model_.info();
  // Room first, so that a refused call adds no tokens (an evicting cache
  // may have evicted already: what the call, tried again, evicts anyway).
  int64_t needed = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t row = rows[i];
    if (row < 0 || row >= batch_)
      return Status::error("no sequence " + std::to_string(row) +
                           " in a batch of " + std::to_string(batch_));
    if (std::find(rows.begin(), rows.begin() + i, row) != rows.begin() + i)
      return Status::error("sequence " + std::to_string(row) +
                           " twice in one call");
    if (rows_[size_t(row)] < 0)
      rows_[size_t(row)] = blocks_->start({}).id;
    if (compaction_)
      if (Status status = makeRoom(row, count); !status)
        return status;
    if (tokens(row) + count > info.maxSeq)
      return roomError(tokens(row) + count);
    needed += blocks_->needs(rows_[size_t(row)], count);
  }
  if (needed > blocks_->available()) {
    const KvMemory use = blocks_->memory();
    return Status::error(
        "the KV cache is full: " + std::to_string(n) + " sequences need " +
        std::to_string(needed) + " more blocks of " +
        std::to_string(use.blockTokens) + " tokens, and " +
        std::to_string(blocks_->available()) + " of its " +
        std::to_string(use.blocks) + " (" + mebibytes(use.reservedBytes()) +
        ") are free; give llmc-run a larger --kv-memory");
  }
  const int64_t columns =
      (info.maxSeq + info.cache.blockTokens - 1) / info.cache.blockTokens;
  positions_.clear();
  tables_.assign(size_t(n * columns), 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t sequence = rows_[size_t(rows[size_t(i)])];
    positions_.push_back(blocks_->tokens(sequence));
    Expected<std::vector<BlockCopy>> copies = blocks_->append(
        sequence, std::vector<int64_t>(ids.begin() + i * count,
                                       ids.begin() + (i + 1) * count));
    if (!copies) {
      dropBlocks();
      return copies.status();
    }
    // Copy-on-write, through host memory: the device API copies between
    // host and device (a fork's shared last block, once per fork).
    for (const BlockCopy &copy : *copies) {
      staged_.resize(blocks_->blockBytes());
      Status status = blocksToHost({copy.from}, staged_.data());
      if (status)
        status = blocksToDevice({copy.to}, staged_.data());
      if (!status) {
        dropBlocks();
        return status.withContext("copying a shared KV block");
      }
    }
    const std::vector<int32_t> &table = blocks_->table(sequence);
    std::copy(table.begin(), table.end(), tables_.begin() + i * columns);
  }
  if (blocks_->pool().held() > peakKv_.held)
    peakKv_ = blocks_->memory();
  std::vector<Tensor> inputs{
      {DType::i64,
       {n, count},
       reinterpret_cast<uint8_t *>(const_cast<int64_t *>(ids.data()))},
      cacheTensor(parts_.front()),
      {DType::i64, {n}, reinterpret_cast<uint8_t *>(positions_.data())},
      {DType::i32, {n, columns}, reinterpret_cast<uint8_t *>(tables_.data())}};
  const bool h2o = compaction_ && info.cache.eviction.policy == "h2o";
  if (h2o) {
    prepareReceived(rows);
    model_.executor().setAttentionReceived(receivedRows_.data());
  }
  Expected<std::vector<Tensor>> results =
      model_.executor().run(prefill ? "prefill" : "decode", inputs);
  model_.executor().setAttentionReceived(nullptr);
  if (!results) {
    dropBlocks();
    return results.status();
  }
  return results->front();
}

Status Session::makeRoom(int64_t row, int64_t count) {
  const int64_t sequence = rows_[size_t(row)];
  const int64_t held = blocks_->tokens(sequence);
  const KvEviction &eviction = model_.info().cache.eviction;
  if (held + count <= eviction.budget())
    return Status::success();
  const std::vector<int64_t> keep = compaction_->kept(held, count);
  if (keep.empty())
    return Status::error(std::to_string(count) +
                         " tokens in one call exceed what a cache "
                         "keeping " +
                         std::to_string(eviction.sinks) +
                         " sinks and a window "
                         "of " +
                         std::to_string(eviction.window) + " takes at once (" +
                         std::to_string(compaction_->mostPerCall()) + ")");
  // The sequence's blocks through host memory (the device API copies
  // between host and device), rewritten, then back into its blocks.
  const std::vector<int32_t> old = blocks_->table(sequence);
  staged_.resize(old.size() * blocks_->blockBytes());
  if (Status status = blocksToHost(old, staged_.data()); !status)
    return status.withContext("evicting from the KV cache");
  // h2o keeps as many tokens, chosen per layer and kv head by the
  // attention they received.
  KvCompaction::Keeps keeps{keep};
  std::vector<float> *received = nullptr;
  if (eviction.policy == "h2o") {
    received = &receivedOf(sequence);
    keeps = compaction_->mostAttended(held, int64_t(keep.size()),
                                      received->data(), receivedCapacity());
  }
  Expected<std::vector<int32_t>> table =
      blocks_->rewrite(sequence, int64_t(keep.size()));
  if (!table)
    return table.status();
  compacted_.assign(table->size() * blocks_->blockBytes(), 0);
  compaction_->compact(staged_.data(), compacted_.data(), keeps);
  if (received)
    compaction_->moveReceived(received->data(), receivedCapacity(), keeps);
  if (Status status = blocksToDevice(*table, compacted_.data()); !status) {
    dropBlocks();
    return status.withContext("evicting from the KV cache");
  }
  evictedTokens_ += held - int64_t(keep.size());
  ++evictions_;
  return Status::success();
}

Expected<Tensor> Session::runPagedPieces(const std::vector<int64_t> &rows,
                                         const std::vector<int64_t> &ids) {
  const int64_t n = int64_t(rows.size());
  const int64_t per = int64_t(ids.size()) / n;
  const int64_t most = compaction_->mostPerCall();
  const int64_t vocab = model_.info().vocabSize;
  std::vector<float> joined(size_t(n * per * vocab));
  for (int64_t t0 = 0; t0 < per; t0 += most) {
    const int64_t count = std::min(most, per - t0);
    std::vector<int64_t> piece;
    for (int64_t r = 0; r < n; ++r)
      piece.insert(piece.end(), ids.begin() + r * per + t0,
                   ids.begin() + r * per + t0 + count);
    Expected<Tensor> result = runPaged(rows, piece, false);
    if (!result)
      return result.status();
    Expected<Tensor> host = logits(*result);
    if (!host)
      return host.status();
    for (int64_t r = 0; r < n; ++r)
      std::memcpy(joined.data() + (r * per + t0) * vocab,
                  host->as<float>() + r * count * vocab,
                  size_t(count * vocab) * sizeof(float));
  }
  joined_ = std::move(joined);
  return Tensor{
      DType::f32, {n, per, vocab}, reinterpret_cast<uint8_t *>(joined_.data())};
}

Expected<Tensor>
Session::runPrefillEach(const std::vector<std::vector<int64_t>> &prompts) {
  const ModelInfo &info = model_.info();
  if (int64_t(prompts.size()) != batch_)
    return Status::error(std::to_string(prompts.size()) +
                         " prompts for a batch of " + std::to_string(batch_));
  for (const std::vector<int64_t> &prompt : prompts) {
    if (prompt.empty())
      return Status::error("an empty prompt: give at least one token");
    if (int64_t(prompt.size()) > info.maxSeq && !compaction_)
      return roomError(int64_t(prompt.size()));
  }
  if (!blocks_) {
    if (Status status = oneLength(prompts); !status)
      return status;
    std::vector<int64_t> ids;
    for (const std::vector<int64_t> &prompt : prompts)
      ids.insert(ids.end(), prompt.begin(), prompt.end());
    return runPrefill(ids);
  }
  reset();
  // One call for the batch when the prompts have one length and nothing
  // to share; else one call per prompt, in order, each starting after the
  // blocks cached so far (by the prompts before it too).
  const int64_t block = info.cache.blockTokens;
  bool together = true;
  for (size_t b = 0; b < prompts.size() && together; ++b) {
    together = (!compaction_ ||
                int64_t(prompts[b].size()) <= compaction_->mostPerCall()) &&
               prompts[b].size() == prompts[0].size() &&
               blocks_->cachedPrefix(prompts[b]) == 0;
    for (size_t a = 0; a < b && together; ++a)
      together = int64_t(prompts[b].size()) <= block ||
                 !std::equal(prompts[a].begin(), prompts[a].begin() + block,
                             prompts[b].begin());
  }
  if (together) {
    std::vector<int64_t> rows, ids;
    for (int64_t b = 0; b < batch_; ++b) {
      rows_[size_t(b)] = blocks_->start(prompts[size_t(b)]).id;
      rows.push_back(b);
      ids.insert(ids.end(), prompts[size_t(b)].begin(),
                 prompts[size_t(b)].end());
    }
    return runPaged(rows, ids, true);
  }
  const int64_t vocab = info.vocabSize;
  joined_.resize(size_t(batch_ * vocab));
  for (int64_t b = 0; b < batch_; ++b) {
    const std::vector<int64_t> &prompt = prompts[size_t(b)];
    KvBlocks::Started started = blocks_->start(prompt);
    rows_[size_t(b)] = started.id;
    // A prompt longer than an evicting cache's window goes in pieces the
    // window takes; the last one's logits are the prompt's.
    const int64_t piece =
        compaction_ ? compaction_->mostPerCall() : int64_t(prompt.size());
    Expected<Tensor> result = Status::error("an empty prompt");
    for (int64_t t = started.cached; t < int64_t(prompt.size()); t += piece) {
      result = runPaged(
          {b},
          std::vector<int64_t>(prompt.begin() + t,
                               prompt.begin() +
                                   std::min<int64_t>(t + piece, prompt.size())),
          true);
      if (!result)
        return result.status();
    }
    Expected<Tensor> host = logits(*result);
    if (!host)
      return host.status();
    std::memcpy(joined_.data() + b * vocab, host->data, size_t(host->bytes()));
  }
  return Tensor{DType::f32,
                {batch_, 1, vocab},
                reinterpret_cast<uint8_t *>(joined_.data())};
}

Expected<Tensor>
Session::prefillEach(const std::vector<std::vector<int64_t>> &prompts) {
  return lastLogits(runPrefillEach(prompts));
}

Expected<Tensor> Session::appendRows(const std::vector<int64_t> &rows,
                                     const std::vector<int64_t> &ids,
                                     bool prefill) {
  if (!blocks_)
    return Status::error("sequences run at their own positions over a "
                         "paged KV cache (compile with --kv-layout paged)");
  Expected<Tensor> result = runPaged(rows, ids, prefill);
  if (!result)
    return result.status();
  return logits(*result);
}

Expected<int64_t> Session::startRow(int64_t row,
                                    const std::vector<int64_t> &tokens) {
  if (!blocks_)
    return Status::error("sequences start one by one over a paged KV cache "
                         "(compile with --kv-layout paged)");
  if (row < 0 || row >= batch_)
    return Status::error("no sequence " + std::to_string(row) +
                         " in a batch of " + std::to_string(batch_));
  if (rows_[size_t(row)] >= 0)
    return Status::error("sequence " + std::to_string(row) +
                         " is running already");
  KvBlocks::Started started = blocks_->start(tokens);
  rows_[size_t(row)] = started.id;
  return started.cached;
}

int64_t Session::rowNeeds(int64_t row, int64_t count) const {
  return blocks_->needs(rows_[size_t(row)], count);
}

Status Session::truncateRow(int64_t row, int64_t tokens) {
  if (!blocks_) {
    // A contiguous cache of one sequence: its position goes back, and the
    // next call writes over what lies past it.
    if (batch_ != 1 || parts_.size() != 1 || row != 0 || tokens < 0 ||
        tokens > parts_.front().position)
      return Status::error("a contiguous KV cache truncates its one "
                           "sequence to at most its " +
                           std::to_string(parts_.front().position) +
                           " tokens, not sequence " + std::to_string(row) +
                           " to " + std::to_string(tokens));
    parts_.front().position = tokens;
    return Status::success();
  }
  if (row < 0 || row >= batch_ || rows_[size_t(row)] < 0)
    return Status::error("no running sequence " + std::to_string(row) +
                         " over a paged KV cache to truncate");
  return blocks_->truncate(rows_[size_t(row)], tokens);
}

void Session::endRow(int64_t row) {
  if (rows_[size_t(row)] < 0)
    return;
  blocks_->finish(rows_[size_t(row)]);
  rows_[size_t(row)] = -1;
}

Status Session::generatePaged(
    const std::vector<std::vector<int64_t>> &prompts, Sampler &sampler,
    const std::function<Expected<bool>(int64_t, int64_t)> &take) {
  Expected<Tensor> first = runPrefillEach(prompts);
  if (!first)
    return first.status();
  Expected<std::vector<int64_t>> next = sampleLast(*first, batch_, sampler);
  if (!next)
    return next.status();
  std::vector<int64_t> live(static_cast<size_t>(batch_));
  for (int64_t b = 0; b < batch_; ++b)
    live[size_t(b)] = b;
  while (!live.empty()) {
    std::vector<int64_t> rows, ids;
    for (size_t i = 0; i < live.size(); ++i) {
      const int64_t b = live[i];
      Expected<bool> more = take(b, (*next)[i]);
      if (!more)
        return more.status();
      // A sequence that stops, or fills max_seq, gives its blocks back.
      // An evicting cache goes on past max_seq.
      if (*more && (compaction_ || tokens(b) < model_.info().maxSeq)) {
        rows.push_back(b);
        ids.push_back((*next)[i]);
      } else {
        endRow(b);
      }
    }
    live = rows;
    if (live.empty())
      break;
    Expected<Tensor> result = runPaged(live, ids, false);
    if (!result)
      return result.status();
    next = sampleLast(*result, int64_t(live.size()), sampler);
    if (!next)
      return next.status();
  }
  return Status::success();
}

} // namespace llmc::runtime
