//===- Scheduler.cpp - continuous batching over a paged KV cache ----------===//

#include "runtime/serve/Scheduler.h"

#include "runtime/sampler/LogSoftmax.h"

#include <algorithm>

namespace llmc::runtime {
namespace {

/// Consecutive failed steps after which running requests fail instead of
/// starting again.
constexpr int64_t kMostFailures = 3;

double secondsSince(Clock::time_point start) {
  return millisSince(start) / 1000.0;
}

} // namespace

Scheduler::Scheduler(Session &session, ServeMetrics &metrics,
                     SchedulerOptions options)
    : session_(session), metrics_(metrics), options_(options),
      vocab_(session.model().info().vocabSize),
      maxSeq_(session.model().info().maxSeq) {
  options_.stepTokens = std::max<int64_t>(options_.stepTokens, 1);
  publish();
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (RequestPtr &r : running_)
    r->stream->finish(FinishReason::error, "the server is shutting down");
  for (RequestPtr &r : waiting_)
    r->stream->finish(FinishReason::error, "the server is shutting down");
  for (RequestPtr &r : submitted_)
    r->stream->finish(FinishReason::error, "the server is shutting down");
}

Status Scheduler::check(const GenerationRequest &request) const {
  if (request.prompt.empty())
    return Status::error("an empty prompt: give at least one token");
  for (int64_t id : request.prompt)
    if (id < 0 || id >= vocab_)
      return Status::error("prompt token id " + std::to_string(id) +
                           " is outside the model's vocabulary of " +
                           std::to_string(vocab_));
  if (int64_t(request.prompt.size()) > maxSeq_)
    return Status::error(
        "the prompt's " + std::to_string(request.prompt.size()) +
        " tokens exceed the model's context of " + std::to_string(maxSeq_));
  if (request.maxTokens < 1)
    return Status::error("max_tokens must be at least 1, not " +
                         std::to_string(request.maxTokens));
  Expected<Sampler> sampler = Sampler::create(request.sampling);
  return sampler ? Status::success() : sampler.status();
}

std::shared_ptr<RequestStream> Scheduler::submit(GenerationRequest request) {
  auto stream = std::make_shared<RequestStream>();
  if (Status status = check(request); !status) {
    // The caller checks first; an unchecked request ends at once.
    stream->finish(FinishReason::error, status.message());
    return stream;
  }
  // check() created one already: this cannot fail.
  Expected<Sampler> sampler = Sampler::create(request.sampling);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (gauges_.waiting + int64_t(submitted_.size()) >= options_.maxQueue) {
      metrics_.rejected("queue_full");
      return nullptr;
    }
    auto r = std::unique_ptr<Request>(
        new Request{std::move(request), stream, std::move(*sampler)});
    r->tokens = r->spec.prompt;
    r->acceptor = Acceptor(r->spec.sampling.seed ^ 0x9e3779b97f4a7c15ull);
    metrics_.admitted(int64_t(r->spec.prompt.size()));
    submitted_.push_back(std::move(r));
  }
  wake_.notify_all();
  return stream;
}

EngineGauges Scheduler::gauges() const {
  std::lock_guard<std::mutex> lock(mutex_);
  EngineGauges gauges = gauges_;
  gauges.waiting += int64_t(submitted_.size());
  return gauges;
}

void Scheduler::publish() {
  const KvBlocks &blocks = *session_.kvBlocks();
  const KvMemory memory = blocks.memory();
  std::lock_guard<std::mutex> lock(mutex_);
  gauges_.running = int64_t(running_.size());
  gauges_.waiting = int64_t(waiting_.size());
  gauges_.kvBlocks = memory.blocks;
  gauges_.kvHeldBlocks = memory.held;
  gauges_.prefixLookups = blocks.pool().lookups();
  gauges_.prefixHits = blocks.pool().hits();
}

void Scheduler::loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !submitted_.empty() || !running_.empty() ||
               !waiting_.empty();
      });
      if (stopping_)
        return;
    }
    step();
    publish();
  }
}

void Scheduler::collect() {
  {
    // The queue's length stays known to submit() while requests move.
    std::lock_guard<std::mutex> lock(mutex_);
    for (RequestPtr &r : submitted_)
      waiting_.push_back(std::move(r));
    submitted_.clear();
    gauges_.waiting = int64_t(waiting_.size());
  }
  for (RequestPtr &r : running_)
    if (r->stream->cancelled())
      end(*r, FinishReason::cancelled);
  for (RequestPtr &r : waiting_)
    if (r->stream->cancelled()) {
      r->stream->finish(FinishReason::cancelled);
      metrics_.finished(FinishReason::cancelled,
                        secondsSince(r->stream->arrived));
    }
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [](const RequestPtr &r) { return r->row < 0; }),
                 running_.end());
  waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(),
                                [](const RequestPtr &r) {
                                  return r->stream->cancelled();
                                }),
                 waiting_.end());
}

void Scheduler::freeRow(int64_t row) {
  session_.endRow(row);
  if (options_.drafts)
    options_.drafts->endRow(row);
}

void Scheduler::end(Request &r, FinishReason reason, const std::string &error) {
  freeRow(r.row);
  r.row = -1;
  r.stream->finish(reason, error);
  metrics_.finished(reason, secondsSince(r.stream->arrived));
}

void Scheduler::preemptLast() {
  Request &r = *running_.back();
  freeRow(r.row);
  r.row = -1;
  r.computed = 0;
  r.decoding = false;
  metrics_.preempted();
  waiting_.push_front(std::move(running_.back()));
  running_.pop_back();
}

void Scheduler::take(Request &r, int64_t next, const float *logits) {
  r.tokens.push_back(next);
  if (std::find(r.spec.stopIds.begin(), r.spec.stopIds.end(), next) !=
      r.spec.stopIds.end()) {
    end(r, FinishReason::stop);
    return;
  }
  std::optional<TokenLogprobs> logprobs;
  if (r.spec.logprobs >= 0) {
    logSoftmax(logits, vocab_, logSoftmax_);
    logprobs.emplace();
    logprobs->logprob = logSoftmax_[size_t(next)];
    std::vector<int64_t> order(static_cast<size_t>(vocab_));
    for (int64_t i = 0; i < vocab_; ++i)
      order[size_t(i)] = i;
    const size_t k = size_t(std::min(r.spec.logprobs, vocab_));
    std::partial_sort(
        order.begin(), order.begin() + k, order.end(),
        [&](int64_t a, int64_t b) {
          return logSoftmax_[size_t(a)] > logSoftmax_[size_t(b)] ||
                 (logSoftmax_[size_t(a)] == logSoftmax_[size_t(b)] && a < b);
        });
    for (size_t i = 0; i < k; ++i)
      logprobs->top.emplace_back(order[i], logSoftmax_[size_t(order[i])]);
  }
  r.stream->push(next, std::move(logprobs));
  const Clock::time_point now = Clock::now();
  if (r.produced++ == 0)
    metrics_.firstToken(secondsSince(r.stream->arrived));
  else
    metrics_.nextToken(std::chrono::duration<double>(now - r.last).count());
  r.last = now;
  // The next decode step would put its input at position tokens - 1.
  if (r.produced >= r.spec.maxTokens || int64_t(r.tokens.size()) > maxSeq_)
    end(r, FinishReason::length);
}

bool Scheduler::admit(Request &r, int64_t reserved) {
  int64_t row = 0;
  while (row < session_.batch() && session_.rowRunning(row))
    ++row;
  if (row == session_.batch())
    return false;
  // Room for all its tokens and the next, besides what the step reserved:
  // a request admitted is not preempted again by the next few steps. The
  // cached blocks of its prefix count too: taking them from the pool's
  // idle ones makes them unavailable to others.
  const KvBlocks &blocks = *session_.kvBlocks();
  const int64_t block = blocks.blockTokens();
  const int64_t tokens = int64_t(r.tokens.size()) + 1;
  if ((tokens + block - 1) / block + 1 > blocks.available() - reserved)
    return false;
  Expected<int64_t> cached = session_.startRow(row, r.tokens);
  if (!cached)
    return false;
  r.row = row;
  r.computed = *cached;
  return true;
}

void Scheduler::recover(const Status &status) {
  // A failed call leaves no sequence running (Session::appendRows).
  ++failures_;
  if (failures_ < kMostFailures) {
    while (!running_.empty())
      preemptLast();
    return;
  }
  for (RequestPtr &r : running_)
    end(*r, FinishReason::error, status.message());
  running_.clear();
}

bool Scheduler::draft(const std::vector<Request *> &decoders,
                      std::vector<DraftSource::Draft> &drafts, int64_t &width) {
  if (!options_.drafts || options_.draftTokens < 1)
    return true;
  // As many as the request may still keep (its drafts and one of the
  // target's), and its context holds.
  std::vector<DraftSource::Ask> asks;
  std::vector<size_t> askers;
  for (size_t i = 0; i < decoders.size(); ++i) {
    Request &r = *decoders[i];
    const int64_t count =
        std::min({options_.draftTokens, r.spec.maxTokens - r.produced - 1,
                  maxSeq_ - int64_t(r.tokens.size())});
    if (count < 1)
      continue;
    asks.push_back({r.row, &r.tokens, count, &r.sampler, &r.acceptor});
    askers.push_back(i);
  }
  if (asks.empty())
    return true;
  Expected<std::vector<DraftSource::Draft>> made = options_.drafts->draft(asks);
  if (!made) {
    recover(made.status());
    return false;
  }
  for (size_t j = 0; j < askers.size(); ++j) {
    drafts[askers[j]] = std::move((*made)[j]);
    width = std::max(width, 1 + int64_t(drafts[askers[j]].tokens.size()));
  }
  return true;
}

bool Scheduler::verify(Request &r, const DraftSource::Draft &draft,
                       int64_t width, const float *logits) {
  const std::vector<int64_t> &drafted = draft.tokens;
  std::vector<int64_t> kept;
  if (drafted.empty()) {
    kept.push_back(r.sampler.sample(logits, size_t(vocab_)));
  } else {
    std::vector<std::vector<double>> target;
    for (size_t i = 0; i <= drafted.size(); ++i)
      target.push_back(
          r.sampler.distribution(logits + int64_t(i) * vocab_, size_t(vocab_)));
    std::vector<std::vector<double>> q = draft.q;
    q.resize(drafted.size());
    const Verdict verdict = r.acceptor.accept(drafted, target, q);
    metrics_.speculated(int64_t(drafted.size()), verdict.accepted);
    kept.assign(drafted.begin(), drafted.begin() + verdict.accepted);
    kept.push_back(verdict.next);
  }
  // The cache keeps the tokens fed up to the last one kept; the call's
  // others leave.
  r.computed += int64_t(kept.size());
  if (width > int64_t(kept.size()))
    if (Status status = session_.truncateRow(r.row, r.computed); !status) {
      recover(status);
      return false;
    }
  for (size_t i = 0; i < kept.size() && r.row >= 0; ++i)
    take(r, kept[i], logits + int64_t(i) * vocab_);
  return true;
}

bool Scheduler::step() {
  collect();
  if (running_.empty() && waiting_.empty())
    return false;
  const KvBlocks &blocks = *session_.kvBlocks();

  // Decode: one token for each request whose prompt is in. When the pool
  // cannot take them, the last admitted goes back to the queue.
  auto decodeNeeds = [&] {
    int64_t needs = 0;
    for (const RequestPtr &r : running_)
      if (r->decoding)
        needs += session_.rowNeeds(r->row, 1);
    return needs;
  };
  int64_t reserved = decodeNeeds();
  while (reserved > blocks.available()) {
    preemptLast();
    reserved = decodeNeeds();
  }
  std::vector<Request *> decoders;
  for (RequestPtr &r : running_)
    if (r->decoding)
      decoders.push_back(r.get());
  std::vector<DraftSource::Draft> drafts(decoders.size());
  int64_t width = 1;
  if (!draft(decoders, drafts, width))
    return true;
  if (width > 1) {
    // The wider call's blocks, or plain decoding this step.
    int64_t wider = 0;
    for (Request *r : decoders)
      wider += session_.rowNeeds(r->row, width);
    if (wider <= blocks.available()) {
      reserved = wider;
    } else {
      width = 1;
      drafts.assign(decoders.size(), {});
    }
  }

  // Prompt chunks under the step's budget: running requests' first, then
  // the queue's, in order.
  struct Chunk {
    Request *r;
    int64_t count;
  };
  std::vector<Chunk> chunks;
  int64_t budget = options_.stepTokens - int64_t(decoders.size()) * width;
  auto plan = [&](Request &r) {
    const int64_t pending = int64_t(r.tokens.size()) - r.computed;
    int64_t count =
        options_.chunkedPrefill ? std::min(pending, budget) : pending;
    const int64_t room = blocks.available() - reserved;
    while (count > 0 && session_.rowNeeds(r.row, count) > room)
      count = options_.chunkedPrefill ? count - 1 : 0;
    if (count == 0)
      return;
    reserved += session_.rowNeeds(r.row, count);
    budget -= count;
    chunks.push_back({&r, count});
  };
  auto open = [&] {
    return options_.chunkedPrefill ? budget > 0 : budget > 0 || chunks.empty();
  };
  for (RequestPtr &r : running_)
    if (!r->decoding && open())
      plan(*r);
  while (!waiting_.empty() && open() && admit(*waiting_.front(), reserved)) {
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    plan(*running_.back());
  }
  if (decoders.empty() && chunks.empty()) {
    // Prompts in part, holding the pool between them: the last admitted
    // waits for the others.
    if (running_.size() > 1)
      preemptLast();
    return true;
  }

  if (!decoders.empty()) {
    // Each row: the last token, its drafts, then its last token again up
    // to the widest row (scored and cut like a rejected draft).
    std::vector<int64_t> rows, ids;
    for (size_t i = 0; i < decoders.size(); ++i) {
      rows.push_back(decoders[i]->row);
      ids.push_back(decoders[i]->tokens.back());
      ids.insert(ids.end(), drafts[i].tokens.begin(), drafts[i].tokens.end());
      ids.insert(ids.end(), size_t(width - 1) - drafts[i].tokens.size(),
                 decoders[i]->tokens.back());
    }
    Expected<Tensor> logits = session_.appendRows(rows, ids);
    if (!logits) {
      recover(logits.status());
      return true;
    }
    for (size_t i = 0; i < decoders.size(); ++i)
      if (!verify(*decoders[i], drafts[i], width,
                  logits->as<float>() + int64_t(i) * width * vocab_))
        return true;
  }
  for (const Chunk &chunk : chunks) {
    Request &r = *chunk.r;
    if (r.row < 0)
      continue;
    Expected<Tensor> logits = session_.appendRows(
        {r.row},
        std::vector<int64_t>(r.tokens.begin() + r.computed,
                             r.tokens.begin() + r.computed + chunk.count),
        true);
    if (!logits) {
      recover(logits.status());
      return true;
    }
    r.computed += chunk.count;
    if (r.computed == int64_t(r.tokens.size())) {
      r.decoding = true;
      take(r, r.sampler.sample(logits->as<float>(), size_t(vocab_)),
           logits->as<float>());
    }
  }
  failures_ = 0;
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [](const RequestPtr &r) { return r->row < 0; }),
                 running_.end());
  return true;
}

} // namespace llmc::runtime
