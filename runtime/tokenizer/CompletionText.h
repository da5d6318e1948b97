//===- CompletionText.h - a request's tokens as text, stops applied -------===//
//
// A completion's text as its tokens arrive: the ids so far are decoded
// whole (SentencePiece joins pieces and bytes in context), and only text
// that can no longer change is released: not the U+FFFDs SentencePiece
// decodes a character's bytes to while the rest are still coming, and not
// a tail that could begin a stop string. When a stop string appears the
// text ends before it, and the request is done. llmc-run generate prints
// and serve streams text this way.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_TOKENIZER_COMPLETIONTEXT_H
#define LLMC_RUNTIME_TOKENIZER_COMPLETIONTEXT_H

#include "runtime/tokenizer/Tokenizer.h"

#include <string>
#include <vector>

namespace llmc::runtime {

class CompletionText {
public:
  CompletionText(const Tokenizer &tokenizer, std::vector<std::string> stops)
      : tokenizer_(tokenizer), stops_(std::move(stops)) {}

  /// Takes the request's tokens so far (`ended`: there are no more) and
  /// returns the text released since the last call.
  Expected<std::string> update(const std::vector<int64_t> &tokens, bool ended);
  /// A stop string was found: the text ends before it.
  bool stopped() const { return stopped_; }
  /// The text released so far.
  const std::string &text() const { return released_; }

private:
  const Tokenizer &tokenizer_;
  std::vector<std::string> stops_;
  std::string released_;
  bool stopped_ = false;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_TOKENIZER_COMPLETIONTEXT_H
