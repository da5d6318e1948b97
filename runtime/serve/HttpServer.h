//===- HttpServer.h - the OpenAI-compatible HTTP API of llmc-run serve ----===//
//
// POST /v1/completions and /v1/chat/completions (OpenAI's request and
// response shapes, server-sent events with `stream`), POST /tokenize and
// /detokenize (vLLM's), GET /v1/models,
// /health (503 until the model is loaded) and /metrics (Prometheus text),
// over cpp-httplib (Debian's libcpp-httplib: a thread per connection from
// a bounded pool, which suits a server whose work is the engine's thread
// and whose handlers mostly wait). Errors are OpenAI error objects: 400
// naming the field, 401 a wrong API key, 404 an unknown route or model,
// 413 a body over the limit, 429 a full queue, 503 while loading; both
// with Retry-After. docs/serving.md.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_HTTPSERVER_H
#define LLMC_RUNTIME_SERVE_HTTPSERVER_H

#include "runtime/serve/ChatTemplate.h"
#include "runtime/serve/Scheduler.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <memory>
#include <optional>
#include <string>

namespace httplib {
class Server;
class Request;
class Response;
} // namespace httplib

namespace llmc::runtime {

struct ServerOptions {
  std::string host = "127.0.0.1";
  /// 0: any free port (HttpServer::port() says which).
  int port = 8000;
  /// Empty: no key is asked for.
  std::string apiKey;
  /// A larger request body is answered 413.
  size_t maxBodyBytes = size_t(1) << 20;
  /// Connections served at once.
  int64_t connections = 64;
  /// The model's name in responses, /v1/models and the metrics' labels.
  std::string modelName;
};

/// What answers completions once the model is loaded.
struct ServedModel {
  Scheduler *scheduler = nullptr;
  const Tokenizer *tokenizer = nullptr;
  /// Null: the artifact carries no chat template.
  const ChatTemplate *chat = nullptr;
  int64_t context = 0, bosId = -1;
  /// EOS ids: a request ends at one (unless it asks ignore_eos).
  std::vector<int64_t> eosIds;
};

class HttpServer {
public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();

  /// Binds the address (an error naming it when that fails) and starts
  /// serving on a thread of its own; /health answers 503 until ready().
  Status start();
  /// The model is loaded: completions are answered from now on.
  void ready(ServedModel model);
  /// Stops serving: the thread ends, open connections close.
  void stop();
  int port() const { return port_; }
  ServeMetrics &metrics() { return metrics_; }

private:
  /// The loaded model and the request's JSON body, or none with the
  /// response set: a wrong key (401), loading (503), malformed JSON (400),
  /// another model named (404).
  std::optional<ServedModel> accepted(const httplib::Request &req,
                                      httplib::Response &res,
                                      nlohmann::json &body);
  void completions(const httplib::Request &req, httplib::Response &res,
                   bool chat);
  /// vLLM's POST /tokenize ({prompt} or {messages}: the ids a completion
  /// would run) and /detokenize ({tokens}: their text).
  void tokenize(const httplib::Request &req, httplib::Response &res);
  void detokenize(const httplib::Request &req, httplib::Response &res);
  bool authorized(const httplib::Request &req, httplib::Response &res);

  ServerOptions options_;
  ServeMetrics metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::optional<ServedModel> model_;
  std::mutex modelMutex_;
  std::thread thread_;
  int port_ = 0;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_HTTPSERVER_H
