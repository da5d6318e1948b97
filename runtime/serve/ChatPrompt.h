//===- ChatPrompt.h - a conversation as the model's prompt ids ------------===//
//
// A chat's messages through the artifact's template (ChatTemplate.h), the
// text between the BOS and EOS markers encoded by the tokenizer, each
// marker the model's id: what the server's /v1/chat/completions and
// llmc-run chat feed the model.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_CHATPROMPT_H
#define LLMC_RUNTIME_SERVE_CHATPROMPT_H

#include "runtime/serve/ChatTemplate.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <vector>

namespace llmc::runtime {

/// The prompt ids of `messages` ([{role, content}, ...]); `bos` and `eos`
/// (-1: none) where the template puts its tokens. The template's error, or
/// the tokenizer's, when either fails.
Expected<std::vector<int64_t>> chatPromptIds(const ChatTemplate &chat,
                                             const nlohmann::json &messages,
                                             const Tokenizer &tokenizer,
                                             int64_t bos, int64_t eos);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_CHATPROMPT_H
