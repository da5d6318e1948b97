//===- CompletionText.cpp - a request's tokens as text, stops applied -----===//

#include "runtime/tokenizer/CompletionText.h"

#include <algorithm>

namespace llmc::runtime {

Expected<std::string> CompletionText::update(const std::vector<int64_t> &tokens,
                                             bool ended) {
  if (stopped_)
    return std::string();
  Expected<std::string> decoded = tokenizer_.decode(tokens);
  if (!decoded)
    return decoded.status();
  std::string text = std::move(*decoded);
  // The earliest stop string ends the text.
  size_t cut = std::string::npos;
  for (const std::string &stop : stops_) {
    size_t at = text.find(stop, released_.size() >= stop.size()
                                    ? released_.size() - stop.size() + 1
                                    : 0);
    if (at != std::string::npos && (cut == std::string::npos || at < cut))
      cut = at;
  }
  size_t keep = text.size();
  if (cut != std::string::npos) {
    stopped_ = true;
    keep = cut;
  } else if (!ended) {
    // Hold back an incomplete character (SentencePiece decodes each of its
    // bytes so far as U+FFFD) and any tail a stop string could start with.
    static const std::string replacement = "\xEF\xBF\xBD";
    while (keep >= replacement.size() &&
           text.compare(keep - replacement.size(), replacement.size(),
                        replacement) == 0)
      keep -= replacement.size();
    for (const std::string &stop : stops_)
      for (size_t n = std::min(stop.size() - 1, keep); n > 0; --n)
        if (text.compare(keep - n, n, stop, 0, n) == 0) {
          keep -= n;
          break;
        }
  }
  // Text already released stays as it was: decoding more tokens only
  // extends it (a piece's leading space aside, which SentencePiece keeps
  // inside a sequence).
  if (keep <= released_.size() ||
      text.compare(0, released_.size(), released_) != 0)
    return std::string();
  std::string delta = text.substr(released_.size(), keep - released_.size());
  released_ += delta;
  return delta;
}

} // namespace llmc::runtime
