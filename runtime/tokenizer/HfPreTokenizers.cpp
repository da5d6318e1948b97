//===- HfPreTokenizers.cpp - tokenizer.json's pre-tokenizers --------------===//

#include "runtime/tokenizer/HfComponents.h"
#include "runtime/tokenizer/Unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

namespace llmc::runtime::hf {
namespace {

using nlohmann::json;

/// What a split does with the matches of its pattern (the `tokenizers`
/// library's SplitDelimiterBehavior).
enum class Behavior {
  Removed,
  Isolated,
  MergedWithPrevious,
  MergedWithNext,
  Contiguous
};

struct Span {
  size_t begin, end;
  bool match;
};

/// `piece` cut around the matches of `pattern`, appended to `out`.
void split(const Piece &piece, const Regex &pattern, Behavior behavior,
           bool invert, std::vector<Piece> &out) {
  std::vector<Span> spans;
  size_t kept = 0;
  pattern.forEachMatch(piece.text, [&](size_t begin, size_t end) {
    if (begin > kept)
      spans.push_back({kept, begin, invert});
    spans.push_back({begin, end, !invert});
    kept = end;
  });
  if (kept < piece.text.size())
    spans.push_back({kept, piece.text.size(), invert});

  std::vector<Span> merged;
  switch (behavior) {
  case Behavior::Removed:
    for (const Span &span : spans)
      if (!span.match)
        merged.push_back(span);
    break;
  case Behavior::Isolated:
    merged = spans;
    break;
  case Behavior::MergedWithPrevious: {
    bool previous = false;
    for (const Span &span : spans) {
      if (span.match && !previous && !merged.empty())
        merged.back().end = span.end;
      else
        merged.push_back(span);
      previous = span.match;
    }
    break;
  }
  case Behavior::MergedWithNext: {
    bool next = false;
    for (size_t i = spans.size(); i-- > 0;) {
      const Span &span = spans[i];
      if (span.match && !next && !merged.empty())
        merged.back().begin = span.begin;
      else
        merged.push_back(span);
      next = span.match;
    }
    std::reverse(merged.begin(), merged.end());
    break;
  }
  case Behavior::Contiguous: {
    bool previous = false;
    for (const Span &span : spans) {
      if (span.match && previous)
        merged.back().end = span.end;
      else
        merged.push_back(span);
      previous = span.match;
    }
    break;
  }
  }
  for (const Span &span : merged)
    out.push_back({piece.text.substr(span.begin, span.end - span.begin),
                   piece.atStart && span.begin == 0});
}

/// Applies `split` to every piece.
void splitAll(std::vector<Piece> &pieces, const Regex &pattern,
              Behavior behavior, bool invert) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (const Piece &piece : pieces)
    split(piece, pattern, behavior, invert, out);
  pieces = std::move(out);
}

class Split : public PreTokenizer {
public:
  Split(Regex pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void apply(std::vector<Piece> &pieces) const override {
    splitAll(pieces, pattern_, behavior_, invert_);
  }

private:
  Regex pattern_;
  Behavior behavior_;
  bool invert_;
};

/// GPT-2's split (when use_regex), then every byte as its character.
class ByteLevel : public PreTokenizer {
public:
  ByteLevel(bool addPrefixSpace, std::optional<Regex> gpt2)
      : addPrefixSpace_(addPrefixSpace), gpt2_(std::move(gpt2)) {}
  void apply(std::vector<Piece> &pieces) const override {
    if (addPrefixSpace_)
      for (Piece &piece : pieces)
        if (piece.text.empty() || piece.text[0] != ' ')
          piece.text.insert(0, " ");
    if (gpt2_)
      splitAll(pieces, *gpt2_, Behavior::Isolated, false);
    for (Piece &piece : pieces) {
      std::string mapped;
      mapped.reserve(piece.text.size() * 2);
      for (unsigned char byte : piece.text)
        mapped += unicode::byteCharacter(byte);
      piece.text = std::move(mapped);
    }
  }

private:
  bool addPrefixSpace_;
  std::optional<Regex> gpt2_;
};

enum class Prepend { Always, First, Never };

class Metaspace : public PreTokenizer {
public:
  Metaspace(std::string replacement, Regex space, Regex marker, Prepend prepend,
            bool split)
      : replacement_(std::move(replacement)), space_(std::move(space)),
        marker_(std::move(marker)), prepend_(prepend), split_(split) {}
  void apply(std::vector<Piece> &pieces) const override {
    for (Piece &piece : pieces) {
      piece.text = replaceAll(piece.text, space_, replacement_);
      bool marked =
          piece.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!marked && (prepend_ == Prepend::Always ||
                      (prepend_ == Prepend::First && piece.atStart)))
        piece.text.insert(0, replacement_);
    }
    if (split_)
      splitAll(pieces, marker_, Behavior::MergedWithNext, false);
  }

private:
  std::string replacement_;
  Regex space_, marker_;
  Prepend prepend_;
  bool split_;
};

class Sequence : public PreTokenizer {
public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> stages)
      : stages_(std::move(stages)) {}
  void apply(std::vector<Piece> &pieces) const override {
    for (const std::unique_ptr<PreTokenizer> &stage : stages_)
      stage->apply(pieces);
  }

private:
  std::vector<std::unique_ptr<PreTokenizer>> stages_;
};

const char *const kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";
// Oniguruma's \w: alphabetic, marks, decimal digits, connector punctuation
// and the joiners (U+200C, U+200D; Unicode TR18's word characters).
const char *const kWhitespacePattern =
    "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]+|"
    "[^\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}\\s]+";

Expected<Behavior> parseBehavior(const json &node, const std::string &where) {
  std::string name = node.is_string() ? node.get<std::string>() : "";
  if (name == "Removed")
    return Behavior::Removed;
  if (name == "Isolated")
    return Behavior::Isolated;
  if (name == "MergedWithPrevious")
    return Behavior::MergedWithPrevious;
  if (name == "MergedWithNext")
    return Behavior::MergedWithNext;
  if (name == "Contiguous")
    return Behavior::Contiguous;
  return Status::error(where + ": the split behavior " + node.dump() +
                       " is none of Removed, Isolated, MergedWithPrevious, "
                       "MergedWithNext, Contiguous");
}

} // namespace

Expected<std::unique_ptr<PreTokenizer>>
parsePreTokenizer(const json &node, const std::string &where) {
  using Result = std::unique_ptr<PreTokenizer>;
  if (node.is_null())
    return Result();
  Expected<std::string> typed = typeOf(node, "a pre-tokenizer", where);
  if (!typed)
    return typed.status();
  const std::string type = *typed;
  const std::string here = where + " (" + type + ")";
  auto regex = [&](const std::string &pattern) {
    return Regex::compile(pattern, here);
  };
  if (type == "ByteLevel") {
    std::optional<Regex> gpt2;
    if (node.value("use_regex", true)) {
      Expected<Regex> compiled = regex(kGpt2Pattern);
      if (!compiled)
        return compiled.status();
      gpt2 = std::move(*compiled);
    }
    return Result(std::make_unique<ByteLevel>(
        node.value("add_prefix_space", true), std::move(gpt2)));
  }
  if (type == "Split") {
    Expected<Regex> pattern = parsePattern(node.value("pattern", json()), here);
    if (!pattern)
      return pattern.status();
    Expected<Behavior> behavior =
        parseBehavior(node.value("behavior", json()), here);
    if (!behavior)
      return behavior.status();
    return Result(std::make_unique<Split>(std::move(*pattern), *behavior,
                                          node.value("invert", false)));
  }
  if (type == "Metaspace") {
    std::string replacement = node.value("replacement", "\xE2\x96\x81");
    Prepend prepend =
        node.value("add_prefix_space", true) ? Prepend::Always : Prepend::Never;
    if (node.contains("prepend_scheme")) {
      std::string scheme = node.value("prepend_scheme", "");
      if (scheme == "always")
        prepend = Prepend::Always;
      else if (scheme == "first")
        prepend = Prepend::First;
      else if (scheme == "never")
        prepend = Prepend::Never;
      else
        return Status::error(here + ": prepend_scheme \"" + scheme +
                             "\" is none of always, first, never");
    }
    Expected<Regex> space = Regex::literal(" ", here);
    Expected<Regex> marker = Regex::literal(replacement, here);
    if (!space || !marker)
      return Status::error(here + ": replacement " + replacement +
                           " is not usable");
    return Result(std::make_unique<Metaspace>(replacement, std::move(*space),
                                              std::move(*marker), prepend,
                                              node.value("split", true)));
  }
  if (type == "Whitespace" || type == "WhitespaceSplit" || type == "Digits") {
    std::string pattern = type == "Whitespace"        ? kWhitespacePattern
                          : type == "WhitespaceSplit" ? "\\S+"
                          : node.value("individual_digits", false) ? "[0-9]"
                                                                   : "[0-9]+";
    Expected<Regex> compiled = regex(pattern);
    if (!compiled)
      return compiled.status();
    // Whitespace keeps only its matches; Digits isolates them.
    return Result(std::make_unique<Split>(std::move(*compiled),
                                          type == "Digits" ? Behavior::Isolated
                                                           : Behavior::Removed,
                                          type != "Digits"));
  }
  if (type == "Sequence") {
    Expected<std::vector<Result>> stages =
        parseStages(node, "pretokenizers", here, &parsePreTokenizer);
    if (!stages)
      return stages.status();
    return Result(std::make_unique<Sequence>(std::move(*stages)));
  }
  return Status::error(where + ": the pre-tokenizer type \"" + type +
                       "\" is not supported (llmc reads ByteLevel, Split, "
                       "Metaspace, Whitespace, WhitespaceSplit, Digits and "
                       "Sequence)");
}

} // namespace llmc::runtime::hf
