//===- http_request.cpp - fuzzing the server's HTTP request handling ------===//
//
// Input: the raw bytes a client sends (request line, headers, body). At
// start, the artifact LLMC_FUZZ_ARTIFACT (compiled --kv-layout paged with
// a tokenizer) is served as llmc-run serve serves it, with the API key
// "fuzz", on a loopback port; each input is sent on a connection of its
// own, whose writing side is then closed, and the answer read to its end:
// cpp-httplib's parsing, the routes, the key, the JSON bodies, the
// scheduler and the streamed answers. A request that hangs the server
// shows as a libFuzzer timeout.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Session.h"
#include "runtime/serve/HttpServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

using namespace llmc::runtime;

struct Served {
  std::unique_ptr<Model> model;
  std::optional<Tokenizer> tokenizer;
  std::optional<ChatTemplate> chat;
  std::unique_ptr<Session> session;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<Scheduler> scheduler;
};

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "fuzz-http-request: %s\n", message.c_str());
  std::exit(2);
}

int port() {
  static Served *served = [] {
    const char *path = std::getenv("LLMC_FUZZ_ARTIFACT");
    if (!path)
      fail("set LLMC_FUZZ_ARTIFACT to an artifact compiled with "
           "--kv-layout paged and a tokenizer");
    auto *s = new Served;
    Expected<std::unique_ptr<Model>> model = Model::load(path, 1);
    if (!model)
      fail(model.status().message());
    s->model = std::move(*model);
    Expected<std::optional<Tokenizer>> tokenizer =
        Tokenizer::fromArtifact(s->model->artifact(), path);
    if (!tokenizer || !*tokenizer)
      fail(std::string(path) + ": no tokenizer");
    s->tokenizer = std::move(**tokenizer);
    Expected<std::optional<ChatTemplate>> chat =
        ChatTemplate::fromArtifact(s->model->artifact(), path);
    if (!chat)
      fail(chat.status().message());
    s->chat = std::move(*chat);
    Expected<std::unique_ptr<Session>> session =
        Session::create(*s->model, s->model->info().maxBatch);
    if (!session)
      fail(session.status().message());
    s->session = std::move(*session);
    ServerOptions options;
    options.port = 0;
    options.apiKey = "fuzz";
    options.modelName = "fuzz";
    options.maxBodyBytes = 1 << 16;
    s->http = std::make_unique<HttpServer>(options);
    if (Status started = s->http->start(); !started)
      fail(started.message());
    SchedulerOptions schedule;
    s->scheduler =
        std::make_unique<Scheduler>(*s->session, s->http->metrics(), schedule);
    const ModelInfo &info = s->model->info();
    ServedModel model_;
    model_.scheduler = s->scheduler.get();
    model_.tokenizer = &*s->tokenizer;
    model_.chat = s->chat ? &*s->chat : nullptr;
    model_.context = info.maxSeq;
    model_.bosId = info.bosId;
    model_.eosIds = info.eosIds;
    s->http->ready(model_);
    return s;
  }();
  return served->http->port();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const int serverPort = port();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(uint16_t(serverPort));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 ||
      connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
    __builtin_trap();
  // The server may answer (and close) before reading everything.
  for (size_t sent = 0; sent < size;) {
    ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    sent += size_t(n);
  }
  shutdown(fd, SHUT_WR);
  char answer[4096];
  while (recv(fd, answer, sizeof answer, 0) > 0) {
  }
  close(fd);
  return 0;
}
