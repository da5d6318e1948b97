//===- chat_template.cpp - fuzzing the chat template reader ---------------===//
//
// Input: a chat template's source (tokenizer_config.json's chat_template
// comes from whoever made the model). Parsed; when it parses, a fixed
// conversation rendered through it.
//
//===----------------------------------------------------------------------===//

#include "runtime/serve/ChatTemplate.h"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace llmc::runtime;
  static const nlohmann::json messages = nlohmann::json::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hello <s> {{ there }}"},
    {"role": "assistant", "content": "Hi."},
    {"role": "user", "content": ""}])");
  Expected<ChatTemplate> parsed = ChatTemplate::parse(
      std::string(reinterpret_cast<const char *>(data), size));
  if (parsed)
    (void)parsed->render(messages);
  return 0;
}
