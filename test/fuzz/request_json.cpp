//===- request_json.cpp - fuzzing the server's request bodies -------------===//
//
// Input: an HTTP request body. Parsed as llmc-run serve parses it, read as
// a chat request (odd first byte) or a completion request, and a chat's
// messages rendered through the chatml template; errors answered as the
// server answers them.
//
//===----------------------------------------------------------------------===//

#include "runtime/serve/ChatTemplate.h"
#include "runtime/serve/OpenAiRequest.h"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace llmc::runtime;
  static const ChatTemplate chatml = [] {
    Expected<ChatTemplate> parsed =
        ChatTemplate::parse(ChatTemplate::resolve("chatml"));
    if (!parsed)
      __builtin_trap();
    return std::move(*parsed);
  }();
  if (size == 0)
    return 0;
  bool chat = data[0] & 1;
  nlohmann::json body = nlohmann::json::parse(
      reinterpret_cast<const char *>(data) + 1,
      reinterpret_cast<const char *>(data) + size, nullptr, false);
  if (body.is_discarded())
    return 0;
  CompletionRequest request;
  if (std::optional<ApiError> error =
          readCompletionRequest(body, chat, request)) {
    (void)error->body().dump(-1, ' ', false,
                             nlohmann::json::error_handler_t::replace);
    return 0;
  }
  if (chat)
    (void)chatml.render(request.messages);
  return 0;
}
