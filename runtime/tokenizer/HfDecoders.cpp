//===- HfDecoders.cpp - tokenizer.json's decoders -------------------------===//

#include "runtime/tokenizer/HfComponents.h"
#include "runtime/tokenizer/Unicode.h"

#include <nlohmann/json.hpp>

#include <cctype>

namespace llmc::runtime::hf {
namespace {

using nlohmann::json;

/// The byte characters back to bytes; a token with another character is
/// taken as its own UTF-8. One token, repaired where the bytes are not
/// UTF-8.
class ByteLevel : public Decoder {
public:
  void apply(std::vector<std::string> &tokens) const override {
    std::string bytes;
    for (const std::string &token : tokens) {
      std::string mapped;
      bool all = true;
      for (size_t at = 0; at < token.size() && all;
           at += unicode::charLength(token[at])) {
        int byte = unicode::characterByte(unicode::codePoint(token, at));
        if (byte < 0)
          all = false;
        else
          mapped += static_cast<char>(byte);
      }
      bytes += all ? mapped : token;
    }
    tokens.assign(1, unicode::lossy(bytes));
  }
};

/// Byte tokens "<0xAB>" in a row become their text when it is UTF-8, and
/// U+FFFD per byte when it is not.
class ByteFallback : public Decoder {
public:
  void apply(std::vector<std::string> &tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t count = 0;
    auto flush = [&] {
      if (!count)
        return;
      if (unicode::firstInvalid(bytes) == std::string::npos)
        out.push_back(bytes);
      else
        for (size_t i = 0; i < count; ++i)
          out.push_back("\xEF\xBF\xBD");
      bytes.clear();
      count = 0;
    };
    for (std::string &token : tokens) {
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 &&
          token[5] == '>' &&
          std::isxdigit(static_cast<unsigned char>(token[3])) &&
          std::isxdigit(static_cast<unsigned char>(token[4]))) {
        bytes += static_cast<char>(std::stoi(token.substr(3, 2), nullptr, 16));
        ++count;
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  }
};

class Fuse : public Decoder {
public:
  void apply(std::vector<std::string> &tokens) const override {
    std::string all;
    for (const std::string &token : tokens)
      all += token;
    tokens.assign(1, std::move(all));
  }
};

class Replace : public Decoder {
public:
  explicit Replace(Replacement replacement)
      : replacement_(std::move(replacement)) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (std::string &token : tokens)
      token = replacement_.apply(token);
  }

private:
  Replacement replacement_;
};

/// Up to `start` leading and `stop` trailing `content` characters off each
/// token.
class Strip : public Decoder {
public:
  Strip(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (std::string &token : tokens) {
      size_t begin = 0, end = token.size();
      for (size_t i = 0;
           i < start_ && token.compare(begin, content_.size(), content_) == 0 &&
           begin + content_.size() <= end;
           ++i)
        begin += content_.size();
      for (size_t i = 0;
           i < stop_ && end >= begin + content_.size() &&
           token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i)
        end -= content_.size();
      token = token.substr(begin, end - begin);
    }
  }

private:
  std::string content_;
  size_t start_, stop_;
};

/// The replacement back to spaces; the first token loses the space the
/// pre-tokenizer prepended.
class Metaspace : public Decoder {
public:
  Metaspace(Regex marker, bool prepended)
      : marker_(std::move(marker)), prepended_(prepended) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replaceAll(tokens[i], marker_, " ");
      if (i == 0 && prepended_ && !tokens[i].empty() && tokens[i][0] == ' ')
        tokens[i].erase(0, 1);
    }
  }

private:
  Regex marker_;
  bool prepended_;
};

class Sequence : public Decoder {
public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> stages)
      : stages_(std::move(stages)) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (const std::unique_ptr<Decoder> &stage : stages_)
      stage->apply(tokens);
  }

private:
  std::vector<std::unique_ptr<Decoder>> stages_;
};

} // namespace

Expected<std::unique_ptr<Decoder>> parseDecoder(const json &node,
                                                const std::string &where) {
  using Result = std::unique_ptr<Decoder>;
  if (node.is_null())
    return Result();
  Expected<std::string> typed = typeOf(node, "a decoder", where);
  if (!typed)
    return typed.status();
  const std::string type = *typed;
  const std::string here = where + " (" + type + ")";
  if (type == "ByteLevel")
    return Result(std::make_unique<ByteLevel>());
  if (type == "ByteFallback")
    return Result(std::make_unique<ByteFallback>());
  if (type == "Fuse")
    return Result(std::make_unique<Fuse>());
  if (type == "Replace") {
    Expected<Replacement> replacement = Replacement::parse(node, here);
    if (!replacement)
      return replacement.status();
    return Result(std::make_unique<Replace>(std::move(*replacement)));
  }
  if (type == "Strip") {
    if (!node.contains("content") || !node["content"].is_string())
      return Status::error(here + ": no \"content\" string");
    return Result(std::make_unique<Strip>(node["content"].get<std::string>(),
                                          node.value("start", size_t(0)),
                                          node.value("stop", size_t(0))));
  }
  if (type == "Metaspace") {
    std::string replacement = node.value("replacement", "\xE2\x96\x81");
    bool prepended = node.value("add_prefix_space", true);
    if (node.contains("prepend_scheme"))
      prepended = node.value("prepend_scheme", "") != "never";
    Expected<Regex> marker = Regex::literal(replacement, here);
    if (!marker)
      return marker.status();
    return Result(std::make_unique<Metaspace>(std::move(*marker), prepended));
  }
  if (type == "Sequence") {
    Expected<std::vector<Result>> stages =
        parseStages(node, "decoders", here, &parseDecoder);
    if (!stages)
      return stages.status();
    return Result(std::make_unique<Sequence>(std::move(*stages)));
  }
  return Status::error(where + ": the decoder type \"" + type +
                       "\" is not supported (llmc reads ByteLevel, "
                       "ByteFallback, Fuse, Replace, Strip, Metaspace and "
                       "Sequence)");
}

} // namespace llmc::runtime::hf
