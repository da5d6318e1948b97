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

#include "runtime/format/Artifact.h"
#include "runtime/format/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
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
  /// The SentencePiece model `artifact` (the file `path`) carries in its
  /// "tokenizer" section (llmc compile --tokenizer), or none.
  static Expected<std::optional<Tokenizer>>
  fromArtifact(const Artifact &artifact, const std::string &path);

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
