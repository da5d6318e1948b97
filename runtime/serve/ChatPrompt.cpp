//===- ChatPrompt.cpp - a conversation as the model's prompt ids ----------===//

#include "runtime/serve/ChatPrompt.h"

#include <cstring>

namespace llmc::runtime {

Expected<std::vector<int64_t>> chatPromptIds(const ChatTemplate &chat,
                                             const nlohmann::json &messages,
                                             const Tokenizer &tokenizer,
                                             int64_t bos, int64_t eos) {
  Expected<std::string> rendered = chat.render(messages);
  if (!rendered)
    return rendered.status();
  // Text between the token markers is encoded; the markers are ids.
  std::vector<int64_t> ids;
  const std::string &text = *rendered;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t atBos = text.find(ChatTemplate::kBos, at);
    const size_t atEos = text.find(ChatTemplate::kEos, at);
    const size_t marker = std::min(atBos, atEos);
    const std::string piece = text.substr(
        at, marker == std::string::npos ? std::string::npos : marker - at);
    if (!piece.empty()) {
      Expected<std::vector<int64_t>> encoded = tokenizer.encode(piece);
      if (!encoded)
        return encoded.status();
      ids.insert(ids.end(), encoded->begin(), encoded->end());
    }
    if (marker == std::string::npos)
      break;
    const bool isBos = marker == atBos;
    if (const int64_t id = isBos ? bos : eos; id >= 0)
      ids.push_back(id);
    at = marker + std::strlen(isBos ? ChatTemplate::kBos : ChatTemplate::kEos);
  }
  return ids;
}

} // namespace llmc::runtime
