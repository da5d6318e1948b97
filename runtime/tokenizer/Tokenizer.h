//===- Tokenizer.h - text to token ids and back (SentencePiece) -----------===//
//
// Models that come with a SentencePiece model file (Llama 2, fortunes3m)
// tokenize through libsentencepiece, the reference implementation.
// Generation decodes the ids produced so far and prints what is new, so
// multi-byte characters split over byte-fallback tokens come out whole.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_TOKENIZER_TOKENIZER_H
#define LLMC_RUNTIME_TOKENIZER_TOKENIZER_H

#include "runtime/format/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
} // namespace sentencepiece

namespace llmc::runtime {

class Tokenizer {
public:
  /// Loads a SentencePiece model file.
  static Expected<Tokenizer> load(const std::string &path);
  /// A SentencePiece model's bytes (an artifact's "tokenizer" section,
  /// llmc compile --tokenizer); `name` says where they came from in
  /// errors.
  static Expected<Tokenizer> fromBytes(const std::string &bytes,
                                       const std::string &name);

  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  ~Tokenizer();

  /// The ids of `text`, without BOS or EOS.
  Expected<std::vector<int64_t>> encode(const std::string &text) const;
  /// The text of `ids`; an id outside the vocabulary is an error naming it.
  Expected<std::string> decode(const std::vector<int64_t> &ids) const;

  int64_t vocabSize() const;
  /// -1 when the model defines none.
  int64_t bosId() const;
  int64_t eosId() const;

private:
  Tokenizer();
  std::string path_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_TOKENIZER_TOKENIZER_H
