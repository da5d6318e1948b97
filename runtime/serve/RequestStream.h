//===- RequestStream.h - one request's tokens, scheduler to client --------===//
//
// The scheduler appends a request's tokens as it samples them and ends the
// stream once (a stop token, its length, an error); the client thread (an
// HTTP handler) waits for what is new. Either side may be first: the
// client cancels (it disconnected, or its text reached a stop string) and
// the scheduler drops the request at its next step, its blocks freed.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_REQUESTSTREAM_H
#define LLMC_RUNTIME_SERVE_REQUESTSTREAM_H

#include "runtime/support/Clock.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace llmc::runtime {

/// Why a request ended, in OpenAI's words where it has them.
enum class FinishReason {
  /// Still running.
  none,
  /// A stop token (EOS) or, decided by the client, a stop string.
  stop,
  /// max_tokens, or the model's context.
  length,
  /// The client cancelled it.
  cancelled,
  /// The engine failed it (the message says why).
  error,
};

/// "stop", "length", "cancelled" or "error" (empty while running).
const char *finishReasonName(FinishReason reason);

/// A token's log-probability under the model (the log-softmax of its
/// logits, before temperature) and the most likely tokens' at its place.
struct TokenLogprobs {
  double logprob = 0;
  std::vector<std::pair<int64_t, double>> top;
};

class RequestStream {
public:
  /// What the client has seen of the stream.
  struct Snapshot {
    std::vector<int64_t> tokens;
    /// One per token when the request asked for them.
    std::vector<TokenLogprobs> logprobs;
    FinishReason finish = FinishReason::none;
    std::string error;
  };

  /// Waits until the stream holds more than `seen` tokens or has ended, or
  /// `timeout` passed; copies it into `out` and says whether it ended.
  bool wait(size_t seen, Clock::duration timeout, Snapshot &out);
  /// The client is gone or wants no more: the scheduler drops the request.
  void cancel();
  bool cancelled() const { return cancelled_.load(); }

  /// The scheduler's side: a token, with its log-probabilities if asked.
  void push(int64_t token, std::optional<TokenLogprobs> logprobs = {});
  /// Ends the stream (a second end is ignored).
  void finish(FinishReason reason, std::string error = {});

  /// When the request arrived (TTFT and latency count from here).
  const Clock::time_point arrived = Clock::now();

private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int64_t> tokens_;
  std::vector<TokenLogprobs> logprobs_;
  FinishReason finish_ = FinishReason::none;
  std::string error_;
  std::atomic<bool> cancelled_{false};
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_REQUESTSTREAM_H
