//===- HfTokenizer.cpp - Hugging Face tokenizer.json, encode and decode ---===//

#include "runtime/tokenizer/HfTokenizer.h"
#include "runtime/tokenizer/Unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace llmc::runtime {

using nlohmann::json;

namespace {

/// A special token as tokenizer_config.json writes it: "<s>" or
/// {"content": "<s>", ...}; empty when neither.
std::string configToken(const json &config, const char *key) {
  if (!config.is_object() || !config.contains(key))
    return {};
  const json &value = config[key];
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_object() && value.contains("content") &&
      value["content"].is_string())
    return value["content"].get<std::string>();
  return {};
}

/// The id the post-processor puts first in a single sequence, or -1.
int64_t leadingSpecial(const json &processor) {
  if (!processor.is_object())
    return -1;
  std::string type = processor.value("type", "");
  if (type == "Sequence" && processor.contains("processors") &&
      processor["processors"].is_array()) {
    for (const json &inner : processor["processors"])
      if (int64_t id = leadingSpecial(inner); id >= 0)
        return id;
    return -1;
  }
  if ((type == "RobertaProcessing" || type == "BertProcessing") &&
      processor.contains("cls") && processor["cls"].is_array() &&
      processor["cls"].size() == 2 && processor["cls"][1].is_number_integer())
    return processor["cls"][1].get<int64_t>();
  if (type != "TemplateProcessing" || !processor.contains("single") ||
      !processor["single"].is_array() || processor["single"].empty())
    return -1;
  const json &first = processor["single"][0];
  if (!first.is_object() || !first.contains("SpecialToken"))
    return -1;
  std::string name = first["SpecialToken"].value("id", "");
  const json specials = processor.value("special_tokens", json::object());
  if (!specials.is_object() || !specials.contains(name))
    return -1;
  const json ids = specials[name].value("ids", json::array());
  return ids.is_array() && !ids.empty() && ids[0].is_number_integer()
             ? ids[0].get<int64_t>()
             : -1;
}

/// A word character for single_word added tokens: the library tests them
/// with Rust's regex \w (Unicode TR18's word characters).
bool isWordCharacter(char32_t c) {
  static const Regex word = [] {
    Expected<Regex> compiled =
        Regex::compile("[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]",
                       "single_word");
    return std::move(*compiled);
  }();
  std::string text;
  unicode::append(text, c);
  bool found = false;
  word.forEachMatch(text, [&](size_t, size_t) { found = true; });
  return found;
}

bool isWordCharacterBefore(std::string_view text, size_t at) {
  if (at == 0)
    return false;
  size_t lead = at - 1;
  while (lead > 0 && (text[lead] & 0xC0) == 0x80)
    --lead;
  return isWordCharacter(unicode::codePoint(text, lead));
}

} // namespace

Expected<std::unique_ptr<HfTokenizer>>
HfTokenizer::parse(std::string_view text, std::string_view configText,
                   const std::string &where) {
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object())
    return Status::error(where + ": not a tokenizer.json (not a JSON object)");
  auto tokenizer = std::unique_ptr<HfTokenizer>(new HfTokenizer());
  tokenizer->where_ = where;
  if (!root.contains("model"))
    return Status::error(where + ": not a tokenizer.json (no \"model\")");

  Expected<std::unique_ptr<hf::Model>> model =
      hf::Model::parse(root["model"], where + ": model");
  if (!model)
    return model.status();
  tokenizer->model_ = std::move(*model);
  Expected<std::unique_ptr<hf::Normalizer>> normalizer = hf::parseNormalizer(
      root.value("normalizer", json()), where + ": normalizer");
  if (!normalizer)
    return normalizer.status();
  tokenizer->normalizer_ = std::move(*normalizer);
  Expected<std::unique_ptr<hf::PreTokenizer>> preTokenizer =
      hf::parsePreTokenizer(root.value("pre_tokenizer", json()),
                            where + ": pre_tokenizer");
  if (!preTokenizer)
    return preTokenizer.status();
  tokenizer->preTokenizer_ = std::move(*preTokenizer);
  Expected<std::unique_ptr<hf::Decoder>> decoder =
      hf::parseDecoder(root.value("decoder", json()), where + ": decoder");
  if (!decoder)
    return decoder.status();
  tokenizer->decoder_ = std::move(*decoder);

  tokenizer->vocabSize_ = tokenizer->model_->size();
  const json added = root.value("added_tokens", json::array());
  if (!added.is_array())
    return Status::error(where + ": \"added_tokens\" is not a list");
  for (size_t i = 0; i < added.size(); ++i) {
    const json &entry = added[i];
    if (!entry.is_object() || !entry.contains("id") ||
        !entry["id"].is_number_integer() || entry["id"].get<int64_t>() < 0 ||
        !entry.contains("content") || !entry["content"].is_string() ||
        entry["content"].get<std::string>().empty())
      return Status::error(where + ": added_tokens[" + std::to_string(i) +
                           "] has no id and content");
    Added token{
        entry["content"].get<std::string>(), {},
        entry["id"].get<int64_t>(),          entry.value("special", false),
        entry.value("lstrip", false),        entry.value("rstrip", false),
        entry.value("single_word", false)};
    bool normalized = entry.value("normalized", !token.special);
    size_t index = tokenizer->added_.size();
    tokenizer->addedById_[token.id] = index;
    tokenizer->vocabSize_ = std::max(tokenizer->vocabSize_, token.id + 1);
    Matcher &matcher = normalized ? tokenizer->normalized_ : tokenizer->raw_;
    std::string key = normalized && tokenizer->normalizer_
                          ? tokenizer->normalizer_->apply(token.content)
                          : token.content;
    token.match = key;
    tokenizer->added_.push_back(std::move(token));
    if (key.empty())
      continue;
    matcher.byFirstByte[static_cast<unsigned char>(key[0])].push_back(index);
    matcher.empty = false;
  }
  for (Matcher *matcher : {&tokenizer->raw_, &tokenizer->normalized_})
    for (std::vector<size_t> &list : matcher->byFirstByte)
      std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) {
        return tokenizer->added_[a].match.size() >
               tokenizer->added_[b].match.size();
      });

  tokenizer->bos_ = leadingSpecial(root.value("post_processor", json()));
  if (!configText.empty()) {
    json config = json::parse(configText, nullptr, false);
    if (config.is_discarded() || !config.is_object())
      return Status::error(where +
                           ": its tokenizer_config.json is not a JSON object");
    std::string bos = configToken(config, "bos_token");
    std::string eos = configToken(config, "eos_token");
    if (tokenizer->bos_ < 0 && !bos.empty() &&
        config.value("add_bos_token", false))
      tokenizer->bos_ = tokenizer->tokenId(bos);
    if (!eos.empty()) {
      tokenizer->eos_ = tokenizer->tokenId(eos);
      if (tokenizer->eos_ < 0)
        return Status::error(where + ": tokenizer_config.json's eos_token \"" +
                             eos + "\" is not a token");
    }
  }
  return tokenizer;
}

bool HfTokenizer::isTokenizerJson(std::string_view bytes) {
  size_t first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes[first] == '{';
}

std::string HfTokenizer::configBeside(const std::string &path) {
  std::filesystem::path config =
      std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  std::error_code error;
  return std::filesystem::exists(config, error) ? config.string()
                                                : std::string();
}

int64_t HfTokenizer::tokenId(const std::string &token) const {
  for (const Added &added : added_)
    if (added.content == token)
      return added.id;
  return model_->id(token);
}

std::vector<HfTokenizer::Segment>
HfTokenizer::splitAdded(std::string_view text, const Matcher &matcher) const {
  std::vector<Segment> segments;
  size_t kept = 0;
  for (size_t at = 0; at < text.size();) {
    const Added *found = nullptr;
    for (size_t index :
         matcher.byFirstByte[static_cast<unsigned char>(text[at])])
      if (text.compare(at, added_[index].match.size(), added_[index].match) ==
          0) {
        found = &added_[index];
        break;
      }
    if (!found) {
      ++at;
      continue;
    }
    // The next match is searched for after this one's own text, even when
    // rstrip takes more (the library's matcher does the same).
    size_t begin = at, end = at + found->match.size();
    at = end;
    if (found->singleWord &&
        (isWordCharacterBefore(text, begin) ||
         (end < text.size() && isWordCharacter(unicode::codePoint(text, end)))))
      continue;
    if (found->lstrip) {
      begin = std::max(begin, kept);
      while (begin > kept) {
        size_t lead = begin - 1;
        while (lead > kept && (text[lead] & 0xC0) == 0x80)
          --lead;
        if (!unicode::isWhitespace(unicode::codePoint(text, lead)))
          break;
        begin = lead;
      }
    }
    if (found->rstrip)
      while (end < text.size() &&
             unicode::isWhitespace(unicode::codePoint(text, end)))
        end += unicode::charLength(text[end]);
    if (begin > kept)
      segments.push_back({kept, begin, -1});
    segments.push_back({begin, end, found->id});
    kept = end;
  }
  if (kept < text.size())
    segments.push_back({kept, text.size(), -1});
  return segments;
}

Status HfTokenizer::encodeText(std::string_view text, bool atStart,
                               bool normalized,
                               std::vector<int64_t> &ids) const {
  if (!normalized) {
    std::string form =
        normalizer_ ? normalizer_->apply(text) : std::string(text);
    if (normalized_.empty)
      return encodeText(form, atStart, true, ids);
    for (const Segment &segment : splitAdded(form, normalized_)) {
      if (segment.added >= 0) {
        ids.push_back(segment.added);
        continue;
      }
      if (Status status =
              encodeText(std::string_view(form).substr(
                             segment.begin, segment.end - segment.begin),
                         atStart && segment.begin == 0, true, ids);
          !status.ok())
        return status;
    }
    return Status::success();
  }
  std::vector<hf::Piece> pieces{{std::string(text), atStart}};
  if (preTokenizer_)
    preTokenizer_->apply(pieces);
  for (const hf::Piece &piece : pieces)
    if (Status status = model_->tokenize(piece.text, ids); !status.ok())
      return Status::error(where_ + ": " + status.message());
  return Status::success();
}

Expected<std::vector<int64_t>>
HfTokenizer::encode(std::string_view text) const {
  if (size_t bad = unicode::firstInvalid(text); bad != std::string::npos)
    return Status::error("the text is not UTF-8 (byte " + std::to_string(bad) +
                         ")");
  std::vector<int64_t> ids;
  for (const Segment &segment : splitAdded(text, raw_)) {
    if (segment.added >= 0) {
      ids.push_back(segment.added);
      continue;
    }
    if (Status status =
            encodeText(text.substr(segment.begin, segment.end - segment.begin),
                       segment.begin == 0, false, ids);
        !status.ok())
      return status;
  }
  return ids;
}

Expected<std::string>
HfTokenizer::decode(const std::vector<int64_t> &ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    if (auto added = addedById_.find(id); added != addedById_.end()) {
      if (!added_[added->second].special)
        tokens.push_back(added_[added->second].content);
      continue;
    }
    const std::string *token = model_->token(id);
    if (!token)
      return Status::error("token id " + std::to_string(id) +
                           " is outside the vocabulary of " + where_ + " (" +
                           std::to_string(vocabSize_) + " tokens)");
    tokens.push_back(*token);
  }
  if (!decoder_) {
    std::string joined;
    for (size_t i = 0; i < tokens.size(); ++i)
      joined += (i ? " " : "") + tokens[i];
    return joined;
  }
  decoder_->apply(tokens);
  std::string text;
  for (const std::string &token : tokens)
    text += token;
  return text;
}

} // namespace llmc::runtime
