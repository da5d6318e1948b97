//===- Scheduler.h - continuous batching over a paged KV cache ------------===//
//
// A server's engine (docs/serving.md): requests wait in a bounded queue
// and run as rows of one paged Session, iteration by iteration (Orca):
// every step decodes one token of each running request that has its
// prompt in the cache, then spends what is left of a token budget on
// prompt chunks (Sarathi-Serve's chunked prefill), of requests already
// running first, then of waiting ones it admits while a row and blocks
// are free. With a draft (speculative decoding), the decode call scores
// each request's last token and its drafted ones, and a request keeps the
// drafts the lossless rule accepts plus one token of the target's; the
// rest are cut from its blocks. When the pool cannot take a step's tokens,
// the request admitted last is preempted: its blocks go back and it waits
// at the queue's head to be computed again from its prompt and the tokens
// it produced (whose whole blocks the prefix cache usually still holds),
// so it produces what it would have uninterrupted. A cancelled request is
// dropped, its blocks freed, at the next step.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_SCHEDULER_H
#define LLMC_RUNTIME_SERVE_SCHEDULER_H

#include "runtime/generate/Session.h"
#include "runtime/serve/DraftSource.h"
#include "runtime/serve/RequestStream.h"
#include "runtime/serve/ServeMetrics.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace llmc::runtime {

struct GenerationRequest {
  std::vector<int64_t> prompt;
  /// At most this many tokens (the model's context ends it earlier).
  int64_t maxTokens = 16;
  SamplingParams sampling;
  /// Tokens that end it (EOS), not part of its output.
  std::vector<int64_t> stopIds;
  /// -1: no log-probabilities; k >= 0: each token's and the top k's.
  int64_t logprobs = -1;
};

struct SchedulerOptions {
  /// Requests waiting for a row; one more is refused.
  int64_t maxQueue = 64;
  /// Tokens one step runs: its decode tokens and prompt chunks.
  int64_t stepTokens = 256;
  /// false: a prompt runs whole in one step, whatever the budget.
  bool chunkedPrefill = true;
  /// Speculative decoding: up to `draftTokens` tokens per decoding
  /// request from `drafts`, verified with its last token in the step's
  /// decode call (none: plain decoding).
  DraftSource *drafts = nullptr;
  int64_t draftTokens = 0;
};

class Scheduler {
public:
  /// Runs requests as rows of `session` (paged), reporting to `metrics`;
  /// its thread starts at once.
  Scheduler(Session &session, ServeMetrics &metrics, SchedulerOptions options);
  /// Ends the thread; requests still running end with an error.
  ~Scheduler();

  /// Why `request` cannot run (an empty prompt, ids outside the
  /// vocabulary, more tokens than the context), or success.
  Status check(const GenerationRequest &request) const;
  /// Queues a checked request: its stream (ended with an error when
  /// check() fails), or null when the queue is full.
  std::shared_ptr<RequestStream> submit(GenerationRequest request);
  /// The engine's state now.
  EngineGauges gauges() const;

private:
  struct Request {
    GenerationRequest spec;
    std::shared_ptr<RequestStream> stream;
    Sampler sampler;
    /// Speculative decoding's acceptance (and a draft model's draws).
    Acceptor acceptor{0};
    /// Its prompt and the tokens produced so far: what a preempted request
    /// computes again.
    std::vector<int64_t> tokens;
    int64_t produced = 0;
    /// Its row while running (-1: waiting), the tokens of `tokens` whose
    /// keys and values are in the cache, and whether its prompt is all in
    /// (it decodes).
    int64_t row = -1, computed = 0;
    bool decoding = false;
    /// When its last token came.
    Clock::time_point last;
  };
  using RequestPtr = std::unique_ptr<Request>;

  void loop();
  /// One iteration: false when there was nothing to do.
  bool step();
  /// Takes submitted requests into the waiting queue; drops cancelled
  /// ones.
  void collect();
  /// Takes `next`, sampled from `logits`, as request `r`'s next token;
  /// ends it when it is done.
  void take(Request &r, int64_t next, const float *logits);
  /// The decoders' drafts for this step (empty ones without a draft); the
  /// decode call's tokens per row, 1 + the most drafted, in `width` (the
  /// step checks the pool has their blocks). False after an engine error
  /// (recovered from).
  bool draft(const std::vector<Request *> &decoders,
             std::vector<DraftSource::Draft> &drafts, int64_t &width);
  /// Takes decoder `r`'s tokens from its rows of the decode call's
  /// `logits` ([width, vocab]): its sample, or the drafts the target
  /// accepts and its own next token. False after an engine error.
  bool verify(Request &r, const DraftSource::Draft &draft, int64_t width,
              const float *logits);
  /// Row `row`'s request leaves it: the session's and the draft's.
  void freeRow(int64_t row);
  /// Ends running request `r` (its row freed): the stream ends with
  /// `reason`.
  void end(Request &r, FinishReason reason, const std::string &error = {});
  /// Sends the running request admitted last back to the queue's head,
  /// its row freed.
  void preemptLast();
  /// After an engine error every running request starts again (or, the
  /// third time, fails).
  void recover(const Status &status);
  /// Starts waiting request `r` in a row the session runs nothing in, if
  /// the pool has room for its tokens beside `reserved` blocks.
  bool admit(Request &r, int64_t reserved);
  void publish();

  Session &session_;
  ServeMetrics &metrics_;
  SchedulerOptions options_;
  const int64_t vocab_, maxSeq_;

  /// The engine's requests: running (in admission order) and waiting.
  std::vector<RequestPtr> running_;
  std::deque<RequestPtr> waiting_;
  int64_t failures_ = 0;
  std::vector<double> logSoftmax_;

  /// Shared with submitting threads.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<RequestPtr> submitted_;
  bool stopping_ = false;
  EngineGauges gauges_;

  std::thread thread_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_SCHEDULER_H
