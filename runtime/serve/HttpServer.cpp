//===- HttpServer.cpp - the OpenAI-compatible HTTP API of llmc-run serve --===//

#include "runtime/serve/HttpServer.h"

#include "runtime/serve/ChatPrompt.h"
#include "runtime/serve/OpenAiRequest.h"
#include "runtime/tokenizer/CompletionText.h"

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <ctime>
#include <random>

namespace llmc::runtime {
namespace {

using nlohmann::json;

/// Seconds a refused client should wait before trying again.
constexpr const char *kRetryAfter = "1";

void answer(httplib::Response &res, int status, const json &body) {
  res.status = status;
  // Text from the request (a parse error quoting it) may not be UTF-8.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json");
}

void answerError(httplib::Response &res, const ApiError &error) {
  answer(res, error.status, error.body());
  if (error.status == 429 || error.status == 503)
    res.set_header("Retry-After", kRetryAfter);
}

ApiError apiError(int status, const std::string &message,
                  const std::string &type, const std::string &param = {},
                  const std::string &code = {}) {
  ApiError error;
  error.status = status;
  error.message = message;
  error.type = type;
  error.param = param;
  error.code = code;
  return error;
}

std::string newId(bool chat) {
  static std::atomic<uint64_t> next{0};
  static const uint64_t boot = uint64_t(std::time(nullptr));
  char id[48];
  std::snprintf(id, sizeof id, "%s-%llx%06llx", chat ? "chatcmpl" : "cmpl",
                (unsigned long long)boot, (unsigned long long)next++);
  return id;
}

/// One choice of a request: its stream and its text so far.
struct Choice {
  std::shared_ptr<RequestStream> stream;
  CompletionText text;
  FinishReason finish = FinishReason::none;
  std::string error;
  /// A chat stream's first chunk carries the role.
  bool sentRole = false;
  /// Its tokens so far, their log-probabilities (when asked), those sent,
  /// and the text offset of the next (completions' text_offset).
  std::vector<int64_t> ids;
  std::vector<TokenLogprobs> logprobs;
  size_t sentLogprobs = 0, textOffset = 0;
};

/// A request's choices, as the handler and a stream's content provider
/// share them.
struct Reply {
  bool chat = false;
  std::string id, model;
  int64_t created = 0;
  int64_t promptTokens = 0;
  bool streamUsage = false;
  /// -1: no log-probabilities; else the top alternatives asked for.
  int64_t logprobs = -1;
  const Tokenizer *tokenizer = nullptr;
  std::vector<Choice> choices;

  ~Reply() {
    for (Choice &c : choices)
      c.stream->cancel();
  }

  /// Waits up to `timeout` for choice `c` and takes what is new: its
  /// text delta (a stop string found cancels the rest).
  Expected<std::string> poll(Choice &c, Clock::duration timeout) {
    RequestStream::Snapshot snapshot;
    const bool ended = c.stream->wait(c.ids.size(), timeout, snapshot);
    c.logprobs = std::move(snapshot.logprobs);
    c.ids = std::move(snapshot.tokens);
    Expected<std::string> delta = c.text.update(c.ids, ended);
    if (!delta)
      return delta;
    if (c.text.stopped()) {
      c.stream->cancel();
      c.finish = FinishReason::stop;
    } else if (ended) {
      c.finish = snapshot.finish;
      c.error = snapshot.error;
    }
    return delta;
  }

  int64_t completionTokens() const {
    int64_t n = 0;
    for (const Choice &c : choices)
      n += int64_t(c.ids.size());
    return n;
  }
  json usage() const {
    return {{"prompt_tokens", promptTokens},
            {"completion_tokens", completionTokens()},
            {"total_tokens", promptTokens + completionTokens()}};
  }
  /// A token's text alone.
  std::string piece(int64_t id) const {
    Expected<std::string> text = tokenizer->decode({id});
    return text ? *text : std::string();
  }
  /// The log-probabilities of choice `c`'s tokens not yet sent (null when
  /// not asked), in the shape of completions or chat.
  json takeLogprobs(Choice &c) {
    if (logprobs < 0)
      return nullptr;
    json tokens = json::array(), values = json::array(), top = json::array(),
         offsets = json::array(), content = json::array();
    auto bytesOf = [](const std::string &text) {
      return std::vector<int>(text.begin(), text.end());
    };
    for (; c.sentLogprobs < c.logprobs.size(); ++c.sentLogprobs) {
      const TokenLogprobs &lp = c.logprobs[c.sentLogprobs];
      const std::string text = piece(c.ids[c.sentLogprobs]);
      if (chat) {
        json alternatives = json::array();
        for (const auto &[id, value] : lp.top) {
          const std::string other = piece(id);
          alternatives.push_back({{"token", other},
                                  {"logprob", value},
                                  {"bytes", bytesOf(other)}});
        }
        content.push_back({{"token", text},
                           {"logprob", lp.logprob},
                           {"bytes", bytesOf(text)},
                           {"top_logprobs", alternatives}});
        continue;
      }
      json alternatives = json::object();
      for (const auto &[id, value] : lp.top)
        alternatives[piece(id)] = value;
      tokens.push_back(text);
      values.push_back(lp.logprob);
      top.push_back(alternatives);
      offsets.push_back(c.textOffset);
      c.textOffset += text.size();
    }
    if (chat)
      return {{"content", content}, {"refusal", nullptr}};
    return {{"tokens", tokens},
            {"token_logprobs", values},
            {"top_logprobs", top},
            {"text_offset", offsets}};
  }

  /// A streamed chunk of choice `index`.
  json chunk(size_t index, const std::string &delta, FinishReason finish) {
    json choice = {{"index", index}};
    if (chat) {
      json d = json::object();
      if (!choices[index].sentRole) {
        d["role"] = "assistant";
        choices[index].sentRole = true;
      }
      if (!delta.empty() || finish == FinishReason::none)
        d["content"] = delta;
      choice["delta"] = d;
    } else {
      choice["text"] = delta;
    }
    choice["logprobs"] = takeLogprobs(choices[index]);
    choice["finish_reason"] =
        finish == FinishReason::none ? json() : json(finishReasonName(finish));
    return {{"id", id},
            {"object", chat ? "chat.completion.chunk" : "text_completion"},
            {"created", created},
            {"model", model},
            {"choices", json::array({choice})}};
  }
};

/// The request's prompts as token ids: text after BOS, a chat's messages
/// through the template (its token markers become ids).
std::optional<ApiError> promptsOf(const CompletionRequest &request,
                                  const ServedModel &model,
                                  std::vector<std::vector<int64_t>> &prompts) {
  const std::string promptParam = request.chat ? "messages" : "prompt";
  prompts = request.idPrompts;
  auto encode = [&](const std::string &text,
                    std::vector<int64_t> &ids) -> std::optional<ApiError> {
    Expected<std::vector<int64_t>> encoded = model.tokenizer->encode(text);
    if (!encoded)
      return apiError(400, encoded.status().message(), "invalid_request_error",
                      promptParam);
    ids.insert(ids.end(), encoded->begin(), encoded->end());
    return std::nullopt;
  };
  for (const std::string &text : request.textPrompts) {
    std::vector<int64_t> ids;
    if (model.bosId >= 0)
      ids.push_back(model.bosId);
    if (auto error = encode(text, ids))
      return error;
    prompts.push_back(std::move(ids));
  }
  if (request.chat) {
    if (!model.chat)
      return apiError(400,
                      "this model has no chat template: compile it with "
                      "llmc compile --chat-template FILE|chatml|llama2, or "
                      "use /v1/completions",
                      "invalid_request_error", "messages");
    Expected<std::vector<int64_t>> ids =
        chatPromptIds(*model.chat, request.messages, *model.tokenizer,
                      model.bosId, model.eosIds.empty() ? -1 : model.eosIds[0]);
    if (!ids)
      return apiError(400, ids.status().message(), "invalid_request_error",
                      "messages");
    prompts.push_back(std::move(*ids));
  }

  return std::nullopt;
}

bool writeEvent(httplib::DataSink &sink, const json &data) {
  const std::string event =
      "data: " + data.dump(-1, ' ', false, json::error_handler_t::replace) +
      "\n\n";
  return sink.write(event.data(), event.size());
}

} // namespace

HttpServer::HttpServer(ServerOptions options)
    : options_(std::move(options)), metrics_(options_.modelName),
      server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (server_->is_running())
    server_->stop();
  if (thread_.joinable())
    thread_.join();
}

void HttpServer::ready(ServedModel model) {
  std::lock_guard<std::mutex> lock(modelMutex_);
  model_ = model;
}

bool HttpServer::authorized(const httplib::Request &req,
                            httplib::Response &res) {
  if (options_.apiKey.empty() ||
      req.get_header_value("Authorization") == "Bearer " + options_.apiKey)
    return true;
  answerError(res, apiError(401, "Incorrect API key provided.",
                            "invalid_request_error", "", "invalid_api_key"));
  return false;
}

Status HttpServer::start() {
  // A client that goes away must not end the process.
  std::signal(SIGPIPE, SIG_IGN);
  httplib::Server &s = *server_;
  const size_t threads = size_t(std::max<int64_t>(options_.connections, 4));
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_payload_max_length(options_.maxBodyBytes);
  s.set_keep_alive_timeout(2);
  s.set_read_timeout(30);

  s.Get("/health", [this](const httplib::Request &, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(modelMutex_);
    if (model_) {
      res.status = 200;
      res.set_content("", "text/plain");
    } else {
      answerError(res,
                  apiError(503, "the model is loading", "service_unavailable"));
    }
  });
  s.Get("/metrics", [this](const httplib::Request &, httplib::Response &res) {
    EngineGauges gauges;
    {
      std::lock_guard<std::mutex> lock(modelMutex_);
      if (model_)
        gauges = model_->scheduler->gauges();
    }
    res.set_content(metrics_.render(gauges),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/v1/models",
        [this](const httplib::Request &req, httplib::Response &res) {
          if (!authorized(req, res))
            return;
          std::lock_guard<std::mutex> lock(modelMutex_);
          json data = json::array();
          if (model_)
            data.push_back({{"id", options_.modelName},
                            {"object", "model"},
                            {"created", int64_t(std::time(nullptr))},
                            {"owned_by", "llmc"},
                            {"max_model_len", model_->context}});
          answer(res, 200, {{"object", "list"}, {"data", data}});
        });
  s.Post("/v1/completions",
         [this](const httplib::Request &req, httplib::Response &res) {
           completions(req, res, false);
         });
  s.Post("/tokenize", [this](const httplib::Request &req,
                             httplib::Response &res) { tokenize(req, res); });
  s.Post("/detokenize",
         [this](const httplib::Request &req, httplib::Response &res) {
           detokenize(req, res);
         });
  s.Post("/v1/chat/completions",
         [this](const httplib::Request &req, httplib::Response &res) {
           completions(req, res, true);
         });
  // Statuses the library sets itself (404, 413, 400 for a bad request
  // line) get an error object too.
  const size_t limit = options_.maxBodyBytes;
  s.set_error_handler([limit](const httplib::Request &req,
                              httplib::Response &res) {
    if (!res.body.empty())
      return;
    std::string message =
        res.status == 404 ? "no route " + req.method + " " + req.path
        : res.status == 413
            ? "the request body exceeds the server's limit "
              "of " +
                  std::to_string(limit) + " bytes (llmc-run serve --max-body)"
            : "the request could not be read";
    answer(res, res.status,
           apiError(res.status, message, "invalid_request_error").body());
  });
  s.set_exception_handler([](const httplib::Request &, httplib::Response &res,
                             std::exception_ptr error) {
    std::string message = "internal error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception &e) {
      message += std::string(": ") + e.what();
    } catch (...) {
    }
    answer(res, 500, apiError(500, message, "internal_error").body());
  });

  if (options_.port == 0)
    port_ = s.bind_to_any_port(options_.host);
  else
    port_ = s.bind_to_port(options_.host, options_.port) ? options_.port : -1;
  if (port_ <= 0)
    return Status::error("cannot listen on " + options_.host + ":" +
                         std::to_string(options_.port) +
                         " (in use, or not an address of this machine)");
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  return Status::success();
}

std::optional<ServedModel> HttpServer::accepted(const httplib::Request &req,
                                                httplib::Response &res,
                                                json &body) {
  if (!authorized(req, res))
    return std::nullopt;
  std::optional<ServedModel> loaded;
  {
    std::lock_guard<std::mutex> lock(modelMutex_);
    loaded = model_;
  }
  if (!loaded) {
    metrics_.rejected("loading");
    answerError(res,
                apiError(503, "the model is loading", "service_unavailable"));
    return std::nullopt;
  }
  try {
    body = json::parse(req.body);
  } catch (const json::exception &e) {
    // A syntax error, or a number out of range.
    std::string what = e.what();
    if (size_t colon = what.find("] "); colon != std::string::npos)
      what = what.substr(colon + 2);
    answerError(
        res, apiError(400, "malformed JSON: " + what, "invalid_request_error"));
    return std::nullopt;
  }
  if (const auto model = body.is_object() ? body.find("model") : body.end();
      model != body.end() && model->is_string() &&
      model->get<std::string>() != options_.modelName) {
    answerError(res,
                apiError(404,
                         "The model `" + model->get<std::string>() +
                             "` does not exist: this server serves `" +
                             options_.modelName + "`.",
                         "invalid_request_error", "model", "model_not_found"));
    return std::nullopt;
  }
  return loaded;
}

void HttpServer::tokenize(const httplib::Request &req, httplib::Response &res) {
  json body;
  std::optional<ServedModel> model = accepted(req, res, body);
  if (!model)
    return;
  CompletionRequest request;
  const bool chat = body.is_object() && body.contains("messages");
  if (std::optional<ApiError> error =
          readCompletionRequest(body, chat, request))
    return answerError(res, *error);
  std::vector<std::vector<int64_t>> prompts;
  if (std::optional<ApiError> error = promptsOf(request, *model, prompts))
    return answerError(res, *error);
  if (prompts.size() != 1)
    return answerError(res, apiError(400, "/tokenize takes one prompt",
                                     "invalid_request_error", "prompt"));
  answer(res, 200,
         {{"tokens", prompts[0]},
          {"count", prompts[0].size()},
          {"max_model_len", model->context}});
}

void HttpServer::detokenize(const httplib::Request &req,
                            httplib::Response &res) {
  json body;
  std::optional<ServedModel> model = accepted(req, res, body);
  if (!model)
    return;
  const auto tokens = body.is_object() ? body.find("tokens") : body.end();
  bool ids = tokens != body.end() && tokens->is_array();
  for (size_t i = 0; ids && i < tokens->size(); ++i)
    ids = (*tokens)[i].is_number_integer();
  if (!ids)
    return answerError(res,
                       apiError(400, "'tokens' must be an array of token ids",
                                "invalid_request_error", "tokens"));
  Expected<std::string> text =
      model->tokenizer->decode(tokens->get<std::vector<int64_t>>());
  if (!text)
    return answerError(res, apiError(400, text.status().message(),
                                     "invalid_request_error", "tokens"));
  answer(res, 200, {{"prompt", *text}});
}

void HttpServer::completions(const httplib::Request &req,
                             httplib::Response &res, bool chat) {
  json body;
  std::optional<ServedModel> loaded = accepted(req, res, body);
  if (!loaded)
    return;
  const ServedModel &model = *loaded;
  CompletionRequest request;
  if (std::optional<ApiError> error =
          readCompletionRequest(body, chat, request))
    return answerError(res, *error);

  std::vector<std::vector<int64_t>> prompts;
  if (std::optional<ApiError> error = promptsOf(request, model, prompts))
    return answerError(res, *error);
  const std::string promptParam = chat ? "messages" : "prompt";

  // Lengths: the prompt and the completion share the context.
  std::vector<GenerationRequest> runs;
  int64_t promptTokens = 0;
  for (const std::vector<int64_t> &prompt : prompts) {
    const int64_t length = int64_t(prompt.size());
    promptTokens += length;
    if (length >= model.context)
      return answerError(
          res, apiError(400,
                        "This model's maximum context length is " +
                            std::to_string(model.context) +
                            " tokens. However, your prompt is " +
                            std::to_string(length) +
                            " tokens, which leaves no room for a completion.",
                        "invalid_request_error", promptParam,
                        "context_length_exceeded"));
    // Without max_tokens: the rest of the context (chat), or OpenAI's 16
    // as far as the context has room.
    const int64_t room = model.context - length;
    const int64_t maxTokens =
        request.maxTokens.value_or(chat ? room : std::min<int64_t>(16, room));
    if (length + maxTokens > model.context)
      return answerError(
          res, apiError(400,
                        "This model's maximum context length is " +
                            std::to_string(model.context) +
                            " tokens. However, you requested " +
                            std::to_string(length + maxTokens) + " tokens (" +
                            std::to_string(length) + " in the " + promptParam +
                            ", " + std::to_string(maxTokens) +
                            " in the completion). Please reduce the length "
                            "of the " +
                            promptParam + " or completion.",
                        "invalid_request_error", "max_tokens",
                        "context_length_exceeded"));
    for (int64_t i = 0; i < request.n; ++i) {
      GenerationRequest run;
      run.prompt = prompt;
      run.maxTokens = maxTokens;
      run.sampling = request.sampling;
      if (!request.seeded)
        run.sampling.seed = std::random_device{}();
      else
        run.sampling.seed += uint64_t(i);
      if (!request.ignoreEos)
        run.stopIds = model.eosIds;
      run.logprobs = request.logprobs;
      if (Status status = model.scheduler->check(run); !status)
        return answerError(res, apiError(400, status.message(),
                                         "invalid_request_error", promptParam));
      runs.push_back(std::move(run));
    }
  }

  auto reply = std::make_shared<Reply>();
  reply->chat = chat;
  reply->id = newId(chat);
  reply->model = options_.modelName;
  reply->created = int64_t(std::time(nullptr));
  reply->promptTokens = promptTokens;
  reply->streamUsage = request.streamUsage;
  reply->logprobs = request.logprobs;
  reply->tokenizer = model.tokenizer;
  for (GenerationRequest &run : runs) {
    std::shared_ptr<RequestStream> stream = model.scheduler->submit(run);
    if (!stream)
      // The reply's end cancels the choices already queued.
      return answerError(res, apiError(429,
                                       "the server's queue is full: try "
                                       "again later",
                                       "rate_limit_exceeded"));
    reply->choices.push_back(
        {std::move(stream), CompletionText(*model.tokenizer, request.stops)});
  }

  if (!request.stream) {
    json choices = json::array();
    for (size_t i = 0; i < reply->choices.size(); ++i) {
      Choice &c = reply->choices[i];
      while (c.finish == FinishReason::none)
        if (Expected<std::string> delta =
                reply->poll(c, std::chrono::seconds(1));
            !delta)
          return answerError(
              res, apiError(500, delta.status().message(), "internal_error"));
      if (c.finish == FinishReason::error)
        return answerError(res, apiError(500, c.error, "internal_error"));
      json choice = {{"index", i},
                     {"logprobs", reply->takeLogprobs(c)},
                     {"finish_reason", finishReasonName(c.finish)}};
      if (chat)
        choice["message"] = {{"role", "assistant"}, {"content", c.text.text()}};
      else
        choice["text"] = c.text.text();
      choices.push_back(choice);
    }
    return answer(res, 200,
                  {{"id", reply->id},
                   {"object", chat ? "chat.completion" : "text_completion"},
                   {"created", reply->created},
                   {"model", reply->model},
                   {"choices", choices},
                   {"usage", reply->usage()}});
  }

  // Server-sent events: a chunk per new piece of text, a last one per
  // choice with its finish reason, the usage if asked, then [DONE]. A
  // write that fails (the client left) cancels every choice.
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [reply](size_t, httplib::DataSink &sink) {
        bool open = true;
        while (open) {
          open = false;
          for (size_t i = 0; i < reply->choices.size(); ++i) {
            Choice &c = reply->choices[i];
            if (c.finish != FinishReason::none)
              continue;
            open = true;
            Expected<std::string> delta = reply->poll(
                c, reply->choices.size() == 1 ? std::chrono::milliseconds(500)
                                              : std::chrono::milliseconds(10));
            if (!delta) {
              c.finish = FinishReason::error;
              c.error = delta.status().message();
            }
            if (c.finish == FinishReason::error) {
              json error = apiError(500, c.error, "internal_error").body();
              if (!writeEvent(sink, error))
                return false;
              continue;
            }
            if (delta && !delta->empty() &&
                !writeEvent(sink, reply->chunk(i, *delta, FinishReason::none)))
              return false;
            if (c.finish != FinishReason::none &&
                !writeEvent(sink, reply->chunk(i, "", c.finish)))
              return false;
          }
        }
        if (reply->streamUsage) {
          json last = reply->chunk(0, "", FinishReason::none);
          last["choices"] = json::array();
          last["usage"] = reply->usage();
          if (!writeEvent(sink, last))
            return false;
        }
        const std::string done = "data: [DONE]\n\n";
        if (!sink.write(done.data(), done.size()))
          return false;
        sink.done();
        return true;
      },
      [reply](bool) {
        for (Choice &c : reply->choices)
          c.stream->cancel();
      });
}

} // namespace llmc::runtime
