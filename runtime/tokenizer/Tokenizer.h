//===- Tokenizer.h - text to token ids and back ---------------------------===//
//
// Two kinds of tokenizer, told apart by their bytes: a SentencePiece model
// file (Llama 2, fortunes3m), through libsentencepiece, the reference
// implementation; and a Hugging Face tokenizer.json (GPT-2, Llama 3, Qwen2,
// Mistral exports), through HfTokenizer, with tokenizer_config.json's
// special tokens when one is beside it (or in the artifact).
// Generation decodes the ids produced so far and prints what is new, so
// multi-byte characters split over byte tokens come out whole.
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
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
} // namespace sentencepiece

namespace llmc::runtime {

class HfTokenizer;

class Tokenizer {
public:
  /// Loads a SentencePiece model file or a tokenizer.json (with the
  /// tokenizer_config.json beside it, if any).
  static Expected<Tokenizer> load(const std::string &path);
  /// The tokenizer `artifact` (the file `path`) carries in its "tokenizer"
  /// section (and "tokenizer config"; llmc compile --tokenizer), or none.
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
  /// "SentencePiece" or "tokenizer.json".
  const char *kind() const;
  /// -1 when the model defines none.
  int64_t bosId() const;
  int64_t eosId() const;

private:
  Tokenizer();
  /// `bytes` (of `where`) as whichever kind they are.
  static Expected<Tokenizer> fromBytes(std::string_view bytes,
                                       std::string_view config,
                                       const std::string &where);
  std::string path_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::unique_ptr<HfTokenizer> hf_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_TOKENIZER_TOKENIZER_H
