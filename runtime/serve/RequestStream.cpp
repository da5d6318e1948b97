//===- RequestStream.cpp - one request's tokens, scheduler to client ------===//

#include "runtime/serve/RequestStream.h"

namespace llmc::runtime {

const char *finishReasonName(FinishReason reason) {
  switch (reason) {
  case FinishReason::none:
    return "";
  case FinishReason::stop:
    return "stop";
  case FinishReason::length:
    return "length";
  case FinishReason::cancelled:
    return "cancelled";
  case FinishReason::error:
    return "error";
  }
  return "";
}

bool RequestStream::wait(size_t seen, Clock::duration timeout, Snapshot &out) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] {
    return tokens_.size() > seen || finish_ != FinishReason::none;
  });
  out.tokens = tokens_;
  out.logprobs = logprobs_;
  out.finish = finish_;
  out.error = error_;
  return finish_ != FinishReason::none;
}

void RequestStream::cancel() {
  cancelled_.store(true);
  changed_.notify_all();
}

void RequestStream::push(int64_t token, std::optional<TokenLogprobs> logprobs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tokens_.push_back(token);
    if (logprobs)
      logprobs_.push_back(std::move(*logprobs));
  }
  changed_.notify_all();
}

void RequestStream::finish(FinishReason reason, std::string error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finish_ != FinishReason::none)
      return;
    finish_ = reason;
    error_ = std::move(error);
  }
  changed_.notify_all();
}

} // namespace llmc::runtime
