//===- HfTokenizer.h - Hugging Face tokenizer.json, encode and decode -----===//
//
// The tokenizer of a Hugging Face export, read from its tokenizer.json
// (and tokenizer_config.json's special tokens) and applied as the
// `tokenizers` library applies it: added tokens cut out first (leftmost,
// longest; lstrip, rstrip and single_word as declared), the normalizer,
// then the added tokens declared "normalized", the pre-tokenizer, and the
// model on each piece. Byte-level BPE (GPT-2, Llama 3, Qwen2) and
// SentencePiece-style BPE with byte fallback (Llama 2, Mistral) are both
// this; so are the word-level tokenizers of llmc's test models.
// test/tokenizer/parity.py checks ids against the library line by line.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_TOKENIZER_HFTOKENIZER_H
#define LLMC_RUNTIME_TOKENIZER_HFTOKENIZER_H

#include "runtime/format/Status.h"
#include "runtime/tokenizer/HfComponents.h"
#include "runtime/tokenizer/HfModel.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmc::runtime {

class HfTokenizer {
public:
  /// Reads tokenizer.json's text `json` (called `where` in errors) and, when
  /// not empty, tokenizer_config.json's text `config` (its bos_token,
  /// eos_token and add_bos_token).
  static Expected<std::unique_ptr<HfTokenizer>> parse(std::string_view json,
                                                      std::string_view config,
                                                      const std::string &where);

  /// The ids of `text` (UTF-8), without BOS or EOS.
  Expected<std::vector<int64_t>> encode(std::string_view text) const;
  /// The text of `ids`, special tokens left out.
  Expected<std::string> decode(const std::vector<int64_t> &ids) const;

  /// Whether `bytes` are a tokenizer.json rather than a SentencePiece model:
  /// JSON starts with "{", a protobuf with a field tag.
  static bool isTokenizerJson(std::string_view bytes);
  /// The tokenizer_config.json beside the file at `path`, or empty when
  /// there is none.
  static std::string configBeside(const std::string &path);

  int64_t vocabSize() const { return vocabSize_; }
  /// The token the post-processor starts a sequence with (Llama's "<s>"),
  /// else tokenizer_config.json's bos_token when add_bos_token; -1: none.
  int64_t bosId() const { return bos_; }
  /// tokenizer_config.json's eos_token; -1 without one.
  int64_t eosId() const { return eos_; }

private:
  struct Added {
    /// The token's text, and what finds it in the text (its normalized
    /// form when it is matched after the normalizer).
    std::string content, match;
    int64_t id;
    bool special, lstrip, rstrip, singleWord;
  };
  /// Added tokens by their first byte, longest first.
  struct Matcher {
    std::vector<std::vector<size_t>> byFirstByte =
        std::vector<std::vector<size_t>>(256);
    bool empty = true;
  };
  struct Segment {
    size_t begin, end;
    int64_t added; // -1: text for the model
  };
  /// `text` cut at the added tokens `matcher` holds.
  std::vector<Segment> splitAdded(std::string_view text,
                                  const Matcher &matcher) const;
  /// Appends the ids of a text segment (normalized, when `normalized`).
  Status encodeText(std::string_view text, bool atStart, bool normalized,
                    std::vector<int64_t> &ids) const;
  int64_t tokenId(const std::string &token) const;

  std::string where_;
  std::unique_ptr<hf::Normalizer> normalizer_;
  std::unique_ptr<hf::PreTokenizer> preTokenizer_;
  std::unique_ptr<hf::Model> model_;
  std::unique_ptr<hf::Decoder> decoder_;
  std::vector<Added> added_;
  std::unordered_map<int64_t, size_t> addedById_;
  Matcher raw_, normalized_;
  int64_t vocabSize_ = 0, bos_ = -1, eos_ = -1;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_TOKENIZER_HFTOKENIZER_H
