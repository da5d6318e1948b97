//===- HfModel.cpp - tokenizer.json's model: BPE or WordLevel -------------===//

#include "runtime/tokenizer/HfModel.h"
#include "runtime/tokenizer/Unicode.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <queue>

namespace llmc::runtime::hf {

using nlohmann::json;

namespace {
/// A piece's cache holds this many entries before it starts again.
constexpr size_t kCacheEntries = 1 << 16;
} // namespace

Expected<std::unique_ptr<Model>> Model::parse(const json &node,
                                              const std::string &where) {
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string())
    return Status::error(where + ": no \"type\" (is this a tokenizer.json?)");
  const std::string type = node["type"].get<std::string>();
  const std::string here = where + " (" + type + ")";
  auto model = std::make_unique<Model>();
  if (type == "BPE")
    model->kind_ = Kind::Bpe;
  else if (type == "WordLevel")
    model->kind_ = Kind::WordLevel;
  else
    return Status::error(where + ": the model type \"" + type +
                         "\" is not supported (llmc reads BPE and WordLevel)");
  if (!node.contains("vocab") || !node["vocab"].is_object())
    return Status::error(here + ": no \"vocab\" object");
  for (const auto &[token, id] : node["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() > INT32_MAX)
      return Status::error(here + ": the id of \"" + token +
                           "\" is not an id: " + id.dump());
    int64_t value = id.get<int64_t>();
    model->vocab_[token] = value;
    if (value >= static_cast<int64_t>(model->tokens_.size())) {
      model->tokens_.resize(value + 1);
      model->present_.resize(value + 1, false);
    }
    model->tokens_[value] = token;
    model->present_[value] = true;
  }
  if (node.contains("unk_token") && node["unk_token"].is_string()) {
    std::string unk = node["unk_token"].get<std::string>();
    model->unk_ = model->id(unk);
    if (model->unk_ < 0)
      return Status::error(here + ": the unk token \"" + unk +
                           "\" is not in the vocabulary");
  }
  if (model->kind_ == Kind::WordLevel)
    return model;

  if (node.contains("dropout") && node["dropout"].is_number() &&
      node["dropout"].get<double>() > 0)
    return Status::error(here + ": BPE dropout (" + node["dropout"].dump() +
                         ") is for training; llmc tokenizes without it");
  auto text = [&](const char *key) {
    return node.contains(key) && node[key].is_string()
               ? node[key].get<std::string>()
               : std::string();
  };
  model->prefix_ = text("continuing_subword_prefix");
  model->suffix_ = text("end_of_word_suffix");
  model->byteFallback_ = node.value("byte_fallback", false);
  model->fuseUnk_ = node.value("fuse_unk", false);
  model->ignoreMerges_ = node.value("ignore_merges", false);
  model->allBytes_ = true;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    model->byteIds_[b] = model->id(name);
    model->allBytes_ = model->allBytes_ && model->byteIds_[b] >= 0;
  }

  const json merges = node.value("merges", json::array());
  if (!merges.is_array())
    return Status::error(here + ": \"merges\" is not a list");
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const json &merge = merges[rank];
    std::string left, right;
    if (merge.is_string()) { // "left right"
      std::string both = merge.get<std::string>();
      size_t space = both.find(' ');
      if (space == std::string::npos ||
          both.find(' ', space + 1) != std::string::npos)
        return Status::error(here + ": merge " + std::to_string(rank) + " \"" +
                             both + "\" is not two tokens");
      left = both.substr(0, space);
      right = both.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      return Status::error(here + ": merge " + std::to_string(rank) +
                           " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    std::string joined = left + (model->prefix_.empty() ||
                                         right.compare(0, model->prefix_.size(),
                                                       model->prefix_) != 0
                                     ? right
                                     : right.substr(model->prefix_.size()));
    int64_t a = model->id(left), b = model->id(right),
            result = model->id(joined);
    if (a < 0 || b < 0 || result < 0)
      return Status::error(here + ": merge " + std::to_string(rank) + " (\"" +
                           left + "\" \"" + right + "\") names a token " +
                           "missing from the vocabulary");
    model->merges_.try_emplace(
        pairKey(a, b),
        Merge{static_cast<int32_t>(rank), static_cast<int32_t>(result)});
  }
  return model;
}

const std::string *Model::token(int64_t id) const {
  if (id < 0 || id >= size() || !present_[id])
    return nullptr;
  return &tokens_[id];
}

int64_t Model::id(const std::string &token) const {
  auto found = vocab_.find(token);
  return found == vocab_.end() ? -1 : found->second;
}

Status Model::tokenize(const std::string &piece,
                       std::vector<int64_t> &ids) const {
  if (piece.empty())
    return Status::success();
  if (kind_ == Kind::WordLevel) {
    int64_t found = id(piece);
    if (found < 0 && unk_ < 0)
      return Status::error("\"" + piece +
                           "\" is not in the vocabulary and the tokenizer "
                           "has no unk token");
    ids.push_back(found >= 0 ? found : unk_);
    return Status::success();
  }
  if (ignoreMerges_)
    if (int64_t whole = id(piece); whole >= 0) {
      ids.push_back(whole);
      return Status::success();
    }
  {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto cached = cache_.find(piece);
    if (cached != cache_.end()) {
      ids.insert(ids.end(), cached->second.begin(), cached->second.end());
      return Status::success();
    }
  }
  std::vector<int64_t> result;
  bpe(piece, result);
  ids.insert(ids.end(), result.begin(), result.end());
  std::lock_guard<std::mutex> lock(cacheMutex_);
  if (cache_.size() >= kCacheEntries)
    cache_.clear();
  cache_.emplace(piece, std::move(result));
  return Status::success();
}

void Model::bpe(const std::string &piece, std::vector<int64_t> &ids) const {
  struct Symbol {
    int64_t id;
    int prev, next;
    bool alive;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(piece.size());
  auto push = [&](int64_t id) {
    int at = static_cast<int>(symbols.size());
    symbols.push_back({id, at - 1, -1, true});
    if (at > 0)
      symbols[at - 1].next = at;
  };
  bool lastUnk = false;
  for (size_t at = 0; at < piece.size();) {
    size_t length = unicode::charLength(piece[at]);
    std::string character = piece.substr(at, length);
    bool first = at == 0;
    at += length;
    std::string candidate = (!first ? prefix_ : std::string()) + character +
                            (at == piece.size() ? suffix_ : std::string());
    if (int64_t found = id(candidate); found >= 0) {
      push(found);
      lastUnk = false;
      continue;
    }
    if (byteFallback_ && allBytes_) {
      for (unsigned char byte : character)
        push(byteIds_[byte]);
      lastUnk = false;
      continue;
    }
    if (unk_ >= 0) {
      if (!(fuseUnk_ && lastUnk))
        push(unk_);
      lastUnk = true;
    }
  }

  struct Candidate {
    int32_t rank;
    int pos;
    int32_t result;
    bool operator>(const Candidate &other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>,
                      std::greater<Candidate>>
      queue;
  auto consider = [&](int left) {
    if (left < 0 || symbols[left].next < 0)
      return;
    auto merge =
        merges_.find(pairKey(symbols[left].id, symbols[symbols[left].next].id));
    if (merge != merges_.end())
      queue.push({merge->second.rank, left, merge->second.result});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i)
    consider(i);
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[top.pos];
    if (!left.alive || left.next < 0)
      continue;
    auto merge = merges_.find(pairKey(left.id, symbols[left.next].id));
    if (merge == merges_.end() || merge->second.result != top.result)
      continue;
    Symbol &right = symbols[left.next];
    right.alive = false;
    left.id = top.result;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].prev = top.pos;
    consider(left.prev);
    consider(top.pos);
  }
  for (const Symbol &symbol : symbols)
    if (symbol.alive)
      ids.push_back(symbol.id);
}

} // namespace llmc::runtime::hf
