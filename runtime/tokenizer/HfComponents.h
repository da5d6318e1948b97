//===- HfComponents.h - tokenizer.json's normalizer, pre-tokenizer, decoder
//===//
//
// The stages of a Hugging Face tokenizer around its model, each read from
// its JSON object ("type" and fields, as the `tokenizers` library writes
// them) and applied as that library does:
//   normalizer:    NFC NFD NFKC NFKD Lowercase Strip StripAccents Replace
//                  Prepend Sequence
//   pre-tokenizer: ByteLevel Split Metaspace Whitespace WhitespaceSplit
//                  Digits Sequence
//   decoder:       ByteLevel Metaspace Replace ByteFallback Fuse Strip
//                  Sequence
// Another type is an error at load time naming it and its place in the
// file, never a silently different tokenization.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_TOKENIZER_HFCOMPONENTS_H
#define LLMC_RUNTIME_TOKENIZER_HFCOMPONENTS_H

#include "runtime/format/Status.h"
#include "runtime/tokenizer/Regex.h"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llmc::runtime::hf {

class Normalizer {
public:
  virtual ~Normalizer() = default;
  virtual std::string apply(std::string_view text) const = 0;
};

/// A piece of text on its way to the model; `atStart` when it begins the
/// input (Metaspace's prepend_scheme "first").
struct Piece {
  std::string text;
  bool atStart = false;
};

class PreTokenizer {
public:
  virtual ~PreTokenizer() = default;
  virtual void apply(std::vector<Piece> &pieces) const = 0;
};

/// Turns the tokens of ids into text, token list to token list (the last
/// stage's tokens are concatenated).
class Decoder {
public:
  virtual ~Decoder() = default;
  virtual void apply(std::vector<std::string> &tokens) const = 0;
};

/// A {"String": s} or {"Regex": r} pattern (Replace, Split).
Expected<Regex> parsePattern(const nlohmann::json &json,
                             const std::string &where);
/// `text` with every match of `pattern` replaced by `content`.
std::string replaceAll(std::string_view text, const Regex &pattern,
                       const std::string &content);

/// A Replace normalizer's or decoder's "pattern" and "content".
struct Replacement {
  Regex pattern;
  std::string content;
  static Expected<Replacement> parse(const nlohmann::json &json,
                                     const std::string &where);
  std::string apply(std::string_view text) const {
    return replaceAll(text, pattern, content);
  }
};

/// The "type" of a stage's object, or an error naming `what` (a
/// normalizer, ...) and `where`.
Expected<std::string> typeOf(const nlohmann::json &json, const char *what,
                             const std::string &where);

/// The stages listed under `key` of a Sequence's object, each read by
/// `parse` (a null stage is left out).
template <typename Stage>
Expected<std::vector<std::unique_ptr<Stage>>>
parseStages(const nlohmann::json &json, const char *key,
            const std::string &where,
            Expected<std::unique_ptr<Stage>> (*parse)(const nlohmann::json &,
                                                      const std::string &));

/// Each reads `json` (null: none, a null pointer) found at `where`.
Expected<std::unique_ptr<Normalizer>>
parseNormalizer(const nlohmann::json &json, const std::string &where);
Expected<std::unique_ptr<PreTokenizer>>
parsePreTokenizer(const nlohmann::json &json, const std::string &where);
Expected<std::unique_ptr<Decoder>> parseDecoder(const nlohmann::json &json,
                                                const std::string &where);

} // namespace llmc::runtime::hf

#endif // LLMC_RUNTIME_TOKENIZER_HFCOMPONENTS_H
