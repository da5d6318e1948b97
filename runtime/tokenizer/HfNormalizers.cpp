//===- HfNormalizers.cpp - tokenizer.json's normalizers -------------------===//

#include "runtime/tokenizer/HfComponents.h"
#include "runtime/tokenizer/Unicode.h"

#include <nlohmann/json.hpp>

namespace llmc::runtime::hf {
namespace {

using nlohmann::json;

class UnicodeForm : public Normalizer {
public:
  explicit UnicodeForm(unicode::Form form) : form_(form) {}
  std::string apply(std::string_view text) const override {
    return unicode::normalize(text, form_);
  }

private:
  unicode::Form form_;
};

class Lowercase : public Normalizer {
public:
  std::string apply(std::string_view text) const override {
    return unicode::lowercase(text);
  }
};

class StripAccents : public Normalizer {
public:
  std::string apply(std::string_view text) const override {
    return unicode::stripAccents(text);
  }
};

class Strip : public Normalizer {
public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  std::string apply(std::string_view text) const override {
    size_t begin = 0, end = text.size();
    while (left_ && begin < end &&
           unicode::isWhitespace(unicode::codePoint(text, begin)))
      begin += unicode::charLength(text[begin]);
    while (right_ && end > begin) {
      size_t last = end - 1;
      while (last > begin && (text[last] & 0xC0) == 0x80)
        --last;
      if (!unicode::isWhitespace(unicode::codePoint(text, last)))
        break;
      end = last;
    }
    return std::string(text.substr(begin, end - begin));
  }

private:
  bool left_, right_;
};

class Replace : public Normalizer {
public:
  explicit Replace(Replacement replacement)
      : replacement_(std::move(replacement)) {}
  std::string apply(std::string_view text) const override {
    return replacement_.apply(text);
  }

private:
  Replacement replacement_;
};

class Prepend : public Normalizer {
public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string apply(std::string_view text) const override {
    return text.empty() ? std::string() : prefix_ + std::string(text);
  }

private:
  std::string prefix_;
};

class Sequence : public Normalizer {
public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> stages)
      : stages_(std::move(stages)) {}
  std::string apply(std::string_view text) const override {
    std::string result(text);
    for (const std::unique_ptr<Normalizer> &stage : stages_)
      result = stage->apply(result);
    return result;
  }

private:
  std::vector<std::unique_ptr<Normalizer>> stages_;
};

} // namespace

Expected<Regex> parsePattern(const json &pattern, const std::string &where) {
  if (pattern.is_object() && pattern.contains("String") &&
      pattern["String"].is_string())
    return Regex::literal(pattern["String"].get<std::string>(), where);
  if (pattern.is_object() && pattern.contains("Regex") &&
      pattern["Regex"].is_string())
    return Regex::compile(pattern["Regex"].get<std::string>(), where);
  return Status::error(where + ": the pattern is neither {\"String\": ...} "
                               "nor {\"Regex\": ...}");
}

std::string replaceAll(std::string_view text, const Regex &pattern,
                       const std::string &content) {
  std::string out;
  size_t kept = 0;
  pattern.forEachMatch(text, [&](size_t begin, size_t end) {
    out.append(text.substr(kept, begin - kept));
    out += content;
    kept = end;
  });
  out.append(text.substr(kept));
  return out;
}

Expected<Replacement> Replacement::parse(const json &node,
                                         const std::string &where) {
  if (!node.contains("content") || !node["content"].is_string())
    return Status::error(where + ": no \"content\" string");
  Expected<Regex> pattern = parsePattern(node.value("pattern", json()), where);
  if (!pattern)
    return pattern.status();
  return Replacement{std::move(*pattern), node["content"].get<std::string>()};
}

Expected<std::string> typeOf(const json &node, const char *what,
                             const std::string &where) {
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string())
    return Status::error(where + ": " + what + " without a \"type\"");
  return node["type"].get<std::string>();
}

template <typename Stage>
Expected<std::vector<std::unique_ptr<Stage>>>
parseStages(const json &node, const char *key, const std::string &where,
            Expected<std::unique_ptr<Stage>> (*parse)(const json &,
                                                      const std::string &)) {
  if (!node.contains(key) || !node[key].is_array())
    return Status::error(where + ": no \"" + key + "\" list");
  std::vector<std::unique_ptr<Stage>> stages;
  for (size_t i = 0; i < node[key].size(); ++i) {
    Expected<std::unique_ptr<Stage>> stage =
        parse(node[key][i], where + "." + key + "[" + std::to_string(i) + "]");
    if (!stage)
      return stage.status();
    if (*stage)
      stages.push_back(std::move(*stage));
  }
  return stages;
}
template Expected<std::vector<std::unique_ptr<Normalizer>>>
parseStages(const json &, const char *, const std::string &,
            Expected<std::unique_ptr<Normalizer>> (*)(const json &,
                                                      const std::string &));
template Expected<std::vector<std::unique_ptr<PreTokenizer>>>
parseStages(const json &, const char *, const std::string &,
            Expected<std::unique_ptr<PreTokenizer>> (*)(const json &,
                                                        const std::string &));
template Expected<std::vector<std::unique_ptr<Decoder>>> parseStages(
    const json &, const char *, const std::string &,
    Expected<std::unique_ptr<Decoder>> (*)(const json &, const std::string &));

Expected<std::unique_ptr<Normalizer>>
parseNormalizer(const json &node, const std::string &where) {
  using Result = std::unique_ptr<Normalizer>;
  if (node.is_null())
    return Result();
  Expected<std::string> typed = typeOf(node, "a normalizer", where);
  if (!typed)
    return typed.status();
  const std::string type = *typed;
  const std::string here = where + " (" + type + ")";
  if (type == "NFC")
    return Result(std::make_unique<UnicodeForm>(unicode::Form::NFC));
  if (type == "NFD")
    return Result(std::make_unique<UnicodeForm>(unicode::Form::NFD));
  if (type == "NFKC")
    return Result(std::make_unique<UnicodeForm>(unicode::Form::NFKC));
  if (type == "NFKD")
    return Result(std::make_unique<UnicodeForm>(unicode::Form::NFKD));
  if (type == "Lowercase")
    return Result(std::make_unique<Lowercase>());
  if (type == "StripAccents")
    return Result(std::make_unique<StripAccents>());
  if (type == "Strip")
    return Result(std::make_unique<Strip>(node.value("strip_left", true),
                                          node.value("strip_right", true)));
  if (type == "Prepend") {
    if (!node.contains("prepend") || !node["prepend"].is_string())
      return Status::error(here + ": no \"prepend\" string");
    return Result(
        std::make_unique<Prepend>(node["prepend"].get<std::string>()));
  }
  if (type == "Replace") {
    Expected<Replacement> replacement = Replacement::parse(node, here);
    if (!replacement)
      return replacement.status();
    return Result(std::make_unique<Replace>(std::move(*replacement)));
  }
  if (type == "Sequence") {
    Expected<std::vector<Result>> stages =
        parseStages(node, "normalizers", here, &parseNormalizer);
    if (!stages)
      return stages.status();
    return Result(std::make_unique<Sequence>(std::move(*stages)));
  }
  return Status::error(where + ": the normalizer type \"" + type +
                       "\" is not supported (llmc reads NFC, NFD, NFKC, "
                       "NFKD, Lowercase, Strip, StripAccents, Replace, "
                       "Prepend and Sequence)");
}

} // namespace llmc::runtime::hf
