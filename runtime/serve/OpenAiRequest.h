//===- OpenAiRequest.h - OpenAI completion requests, read and checked -----===//
//
// The bodies of POST /v1/completions and /v1/chat/completions (OpenAI's
// API reference; top_k as vLLM takes it), read into what the scheduler
// runs. Every field is type-checked: an error names the field and what
// it must be, as the OpenAI error object's `param` and `message`.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_OPENAIREQUEST_H
#define LLMC_RUNTIME_SERVE_OPENAIREQUEST_H

#include "runtime/sampler/Sampler.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace llmc::runtime {

/// An error answered as {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int status = 400;
  std::string message;
  /// The request field at fault (empty: none).
  std::string param;
  std::string type = "invalid_request_error";
  std::string code;

  nlohmann::json body() const;
};

struct CompletionRequest {
  bool chat = false;
  std::string model;
  /// Completions: the prompts, as text or as token ids.
  std::vector<std::string> textPrompts;
  std::vector<std::vector<int64_t>> idPrompts;
  /// Chat: the messages ({role, content} strings).
  nlohmann::json messages;
  /// Absent: the rest of the context (chat) or 16 (completions).
  std::optional<int64_t> maxTokens;
  SamplingParams sampling;
  /// No seed given: each choice draws its own.
  bool seeded = false;
  std::vector<std::string> stops;
  int64_t n = 1;
  /// -1: no log-probabilities; k >= 0: each token's and the top k's
  /// (completions: `logprobs: k`; chat: `logprobs: true`, `top_logprobs:
  /// k`).
  int64_t logprobs = -1;
  /// vLLM's ignore_eos: EOS does not end it (benchmarks' fixed lengths).
  bool ignoreEos = false;
  bool stream = false;
  /// stream_options.include_usage: a last chunk carries the usage.
  bool streamUsage = false;
};

/// `body` (a parsed JSON value) read as a request of either kind.
std::optional<ApiError> readCompletionRequest(const nlohmann::json &body,
                                              bool chat,
                                              CompletionRequest &out);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_OPENAIREQUEST_H
