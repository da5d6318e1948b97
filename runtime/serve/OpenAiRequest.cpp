//===- OpenAiRequest.cpp - OpenAI completion requests, read and checked ---===//

#include "runtime/serve/OpenAiRequest.h"

namespace llmc::runtime {
namespace {

using nlohmann::json;

ApiError invalid(const std::string &param, const std::string &message) {
  ApiError error;
  error.param = param;
  error.message = message;
  return error;
}

/// The field, or null when it is absent or null.
const json *field(const json &body, const char *name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::optional<ApiError> integer(const json &body, const char *name, int64_t low,
                                int64_t high, std::optional<int64_t> &out) {
  const json *value = field(body, name);
  if (!value)
    return std::nullopt;
  if (!value->is_number_integer())
    return invalid(name, "'" + std::string(name) + "' must be an integer");
  const int64_t v = value->get<int64_t>();
  if (v < low || v > high)
    return invalid(name, "'" + std::string(name) + "' must be between " +
                             std::to_string(low) + " and " +
                             std::to_string(high) + ", not " +
                             std::to_string(v));
  out = v;
  return std::nullopt;
}

std::optional<ApiError> real(const json &body, const char *name, double low,
                             double high, bool openLow,
                             std::optional<double> &out) {
  const json *value = field(body, name);
  if (!value)
    return std::nullopt;
  if (!value->is_number())
    return invalid(name, "'" + std::string(name) + "' must be a number");
  const double v = value->get<double>();
  if (v < low || v > high || (openLow && v == low))
    return invalid(name, "'" + std::string(name) + "' must be " +
                             (openLow ? "above " : "at least ") +
                             json(low).dump() + " and at most " +
                             json(high).dump() + ", not " + value->dump());
  out = v;
  return std::nullopt;
}

std::optional<ApiError> boolean(const json &body, const char *name, bool &out) {
  const json *value = field(body, name);
  if (!value)
    return std::nullopt;
  if (!value->is_boolean())
    return invalid(name, "'" + std::string(name) + "' must be true or false");
  out = value->get<bool>();
  return std::nullopt;
}

/// A field llmc does not implement: absent, null, false or 0 only.
std::optional<ApiError> unsupported(const json &body, const char *name) {
  const json *value = field(body, name);
  if (!value || (value->is_boolean() && !value->get<bool>()) ||
      (value->is_number() && value->get<double>() == 0.0) ||
      ((value->is_array() || value->is_object()) && value->empty()))
    return std::nullopt;
  return invalid(name, "'" + std::string(name) +
                           "' is not supported by llmc-run serve");
}

bool tokenIds(const json &value) {
  if (!value.is_array() || value.empty())
    return false;
  for (const json &id : value)
    if (!id.is_number_integer())
      return false;
  return true;
}

std::optional<ApiError> readPrompt(const json &body, CompletionRequest &out) {
  const json *prompt = field(body, "prompt");
  const std::string shapes = "'prompt' must be a string, an array of "
                             "strings, an array of token ids or an array of "
                             "arrays of token ids";
  if (!prompt)
    return invalid("prompt", "'prompt' is required");
  if (prompt->is_string()) {
    out.textPrompts.push_back(prompt->get<std::string>());
    return std::nullopt;
  }
  if (tokenIds(*prompt)) {
    out.idPrompts.push_back(prompt->get<std::vector<int64_t>>());
    return std::nullopt;
  }
  if (!prompt->is_array() || prompt->empty())
    return invalid("prompt", shapes);
  for (const json &one : *prompt) {
    if (one.is_string() && out.idPrompts.empty())
      out.textPrompts.push_back(one.get<std::string>());
    else if (tokenIds(one) && out.textPrompts.empty())
      out.idPrompts.push_back(one.get<std::vector<int64_t>>());
    else
      return invalid("prompt", shapes);
  }
  return std::nullopt;
}

std::optional<ApiError> readMessages(const json &body, CompletionRequest &out) {
  const json *messages = field(body, "messages");
  if (!messages)
    return invalid("messages", "'messages' is required");
  if (!messages->is_array() || messages->empty())
    return invalid("messages", "'messages' must be a non-empty array");
  out.messages = json::array();
  for (size_t i = 0; i < messages->size(); ++i) {
    const json &message = (*messages)[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!message.is_object())
      return invalid(at, "'" + at + "' must be an object");
    const json *role = field(message, "role");
    if (!role || !role->is_string())
      return invalid(at + ".role", "'" + at + ".role' must be a string");
    const json *content = field(message, "content");
    std::string text;
    if (content && content->is_string()) {
      text = content->get<std::string>();
    } else if (content && content->is_array()) {
      // Content parts: text ones only.
      for (size_t p = 0; p < content->size(); ++p) {
        const json &part = (*content)[p];
        const json *type = part.is_object() ? field(part, "type") : nullptr;
        const json *partText = part.is_object() ? field(part, "text") : nullptr;
        if (!type || *type != "text" || !partText || !partText->is_string())
          return invalid(at + ".content",
                         "'" + at + ".content[" + std::to_string(p) +
                             "]' must be a text part ({\"type\": \"text\", "
                             "\"text\": ...}): llmc serves text models");
        text += partText->get<std::string>();
      }
    } else {
      return invalid(at + ".content", "'" + at +
                                          ".content' must be a string or "
                                          "an array of text parts");
    }
    out.messages.push_back(
        {{"role", role->get<std::string>()}, {"content", text}});
  }
  return std::nullopt;
}

} // namespace

nlohmann::json ApiError::body() const {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json() : json(param)},
            {"code", code.empty() ? json() : json(code)}}}};
}

std::optional<ApiError> readCompletionRequest(const json &body, bool chat,
                                              CompletionRequest &out) {
  if (!body.is_object())
    return invalid("", "the request body must be a JSON object");
  out.chat = chat;
  if (const json *model = field(body, "model")) {
    if (!model->is_string())
      return invalid("model", "'model' must be a string");
    out.model = model->get<std::string>();
  }
  if (auto error = chat ? readMessages(body, out) : readPrompt(body, out))
    return error;

  std::optional<int64_t> maxTokens, topK, seed, n;
  std::optional<double> temperature, topP;
  const char *maxName = chat && field(body, "max_completion_tokens")
                            ? "max_completion_tokens"
                            : "max_tokens";
  if (auto error = integer(body, maxName, 1, int64_t(1) << 40, maxTokens))
    return error;
  out.maxTokens = maxTokens;
  if (auto error = real(body, "temperature", 0.0, 2.0, false, temperature))
    return error;
  if (auto error = real(body, "top_p", 0.0, 1.0, true, topP))
    return error;
  if (auto error = integer(body, "top_k", -1, int64_t(1) << 31, topK))
    return error;
  if (auto error = integer(body, "seed", INT64_MIN, INT64_MAX, seed))
    return error;
  if (auto error = integer(body, "n", 1, 16, n))
    return error;
  // OpenAI's defaults: temperature 1, top_p 1.
  out.sampling.temperature = float(temperature.value_or(1.0));
  out.sampling.topP = float(topP.value_or(1.0));
  out.sampling.topK = std::max<int64_t>(topK.value_or(0), 0);
  out.seeded = seed.has_value();
  out.sampling.seed = uint64_t(seed.value_or(0));
  out.n = n.value_or(1);

  if (const json *stop = field(body, "stop")) {
    if (stop->is_string()) {
      out.stops.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= 4) {
      for (const json &one : *stop) {
        if (!one.is_string())
          return invalid("stop", "'stop' must be a string or an array of "
                                 "up to 4 strings");
        out.stops.push_back(one.get<std::string>());
      }
    } else {
      return invalid("stop",
                     "'stop' must be a string or an array of up to 4 strings");
    }
    for (const std::string &one : out.stops)
      if (one.empty())
        return invalid("stop", "'stop' strings must not be empty");
  }
  if (auto error = boolean(body, "ignore_eos", out.ignoreEos))
    return error;
  if (auto error = boolean(body, "stream", out.stream))
    return error;
  if (const json *options = field(body, "stream_options")) {
    if (!options->is_object())
      return invalid("stream_options", "'stream_options' must be an object");
    if (!out.stream)
      return invalid("stream_options",
                     "'stream_options' is only allowed with 'stream': true");
    if (auto error = boolean(*options, "include_usage", out.streamUsage))
      return invalid("stream_options.include_usage",
                     "'stream_options.include_usage' must be true or false");
  }
  if (chat) {
    bool wanted = false;
    std::optional<int64_t> top;
    if (auto error = boolean(body, "logprobs", wanted))
      return error;
    if (auto error = integer(body, "top_logprobs", 0, 20, top))
      return error;
    if (top && !wanted)
      return invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
    out.logprobs = wanted ? top.value_or(0) : -1;
  } else {
    std::optional<int64_t> k;
    if (auto error = integer(body, "logprobs", 0, 20, k))
      return error;
    out.logprobs = k.value_or(-1);
  }
  for (const char *name : {"echo", "presence_penalty", "frequency_penalty",
                           "suffix", "tools", "logit_bias"})
    if (auto error = unsupported(body, name))
      return error;
  if (const json *best = field(body, "best_of");
      best && !(best->is_number_integer() && best->get<int64_t>() == out.n))
    return invalid("best_of", "'best_of' is not supported by llmc-run serve");
  return std::nullopt;
}

} // namespace llmc::runtime
