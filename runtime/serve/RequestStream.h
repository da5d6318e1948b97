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

class RequestStream {
public:
  /// What the client has seen of the stream.
  struct Snapshot {
    std::vector<int64_t> tokens;
    FinishReason finish = FinishReason::none;
    std::string error;
  };

  /// Waits until the stream holds more than `seen` tokens or has ended, or
  /// `timeout` passed; copies it into `out` and says whether it ended.
  bool wait(size_t seen, Clock::duration timeout, Snapshot &out);
  /// The client is gone or wants no more: the scheduler drops the request.
  void cancel();
  bool cancelled() const { return cancelled_.load(); }

  /// The scheduler's side.
  void push(int64_t token);
  /// Ends the stream (a second end is ignored).
  void finish(FinishReason reason, std::string error = {});

  /// When the request arrived (TTFT and latency count from here).
  const Clock::time_point arrived = Clock::now();

private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int64_t> tokens_;
  FinishReason finish_ = FinishReason::none;
  std::string error_;
  std::atomic<bool> cancelled_{false};
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_REQUESTSTREAM_H
