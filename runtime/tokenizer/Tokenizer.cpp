//===- Tokenizer.cpp - SentencePiece or tokenizer.json --------------------===//

#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/HfTokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace llmc::runtime {
namespace {

/// The whole file at `path`, or none.
std::optional<std::string> readFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad())
    return std::nullopt;
  return text.str();
}

} // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Expected<Tokenizer> Tokenizer::fromBytes(std::string_view bytes,
                                         std::string_view config,
                                         const std::string &where) {
  Tokenizer tokenizer;
  tokenizer.path_ = where;
  if (HfTokenizer::isTokenizerJson(bytes)) {
    Expected<std::unique_ptr<HfTokenizer>> hf =
        HfTokenizer::parse(bytes, config, where);
    if (!hf)
      return hf.status();
    tokenizer.hf_ = std::move(*hf);
    return tokenizer;
  }
  tokenizer.processor_ =
      std::make_unique<sentencepiece::SentencePieceProcessor>();
  sentencepiece::util::Status status =
      tokenizer.processor_->LoadFromSerializedProto(
          absl::string_view(bytes.data(), bytes.size()));
  if (!status.ok())
    return Status::error(where +
                         ": neither a SentencePiece model nor a "
                         "tokenizer.json: " +
                         status.ToString());
  return tokenizer;
}

Expected<Tokenizer> Tokenizer::load(const std::string &path) {
  std::optional<std::string> bytes = readFile(path);
  if (!bytes)
    return Status::error(path + ": cannot read it (" + std::strerror(errno) +
                         ")");
  std::string config;
  if (HfTokenizer::isTokenizerJson(*bytes))
    if (std::string beside = HfTokenizer::configBeside(path); !beside.empty())
      if (std::optional<std::string> text = readFile(beside))
        config = std::move(*text);
  return fromBytes(*bytes, config, path);
}

Expected<std::optional<Tokenizer>>
Tokenizer::fromArtifact(const Artifact &artifact, const std::string &path) {
  if (!artifact.hasSection(ModelInfo::kTokenizerSection))
    return std::optional<Tokenizer>();
  Expected<Bytes> bytes = artifact.section(ModelInfo::kTokenizerSection);
  if (!bytes)
    return bytes.status();
  std::string_view config;
  if (artifact.hasSection(ModelInfo::kTokenizerConfigSection)) {
    Expected<Bytes> text = artifact.section(ModelInfo::kTokenizerConfigSection);
    if (!text)
      return text.status();
    config = std::string_view(reinterpret_cast<const char *>(text->data),
                              text->size);
  }
  Expected<Tokenizer> tokenizer =
      fromBytes(std::string_view(reinterpret_cast<const char *>(bytes->data),
                                 bytes->size),
                config, path + ": its tokenizer section");
  if (!tokenizer)
    return tokenizer.status();
  return std::optional<Tokenizer>(std::move(*tokenizer));
}

Expected<std::vector<int64_t>>
Tokenizer::encode(const std::string &text) const {
  if (hf_)
    return hf_->encode(text);
  std::vector<int> ids;
  sentencepiece::util::Status status = processor_->Encode(text, &ids);
  if (!status.ok())
    return Status::error(path_ + ": cannot encode: " + status.ToString());
  return std::vector<int64_t>(ids.begin(), ids.end());
}

Expected<std::string> Tokenizer::decode(const std::vector<int64_t> &ids) const {
  if (hf_)
    return hf_->decode(ids);
  std::vector<int> pieces;
  pieces.reserve(ids.size());
  for (int64_t id : ids) {
    if (id < 0 || id >= vocabSize())
      return Status::error("token id " + std::to_string(id) +
                           " is outside the vocabulary of " + path_ + " (" +
                           std::to_string(vocabSize()) + " tokens)");
    pieces.push_back(static_cast<int>(id));
  }
  std::string text;
  sentencepiece::util::Status status = processor_->Decode(pieces, &text);
  if (!status.ok())
    return Status::error(path_ + ": cannot decode: " + status.ToString());
  return text;
}

const char *Tokenizer::kind() const {
  return hf_ ? "tokenizer.json" : "SentencePiece";
}
int64_t Tokenizer::vocabSize() const {
  return hf_ ? hf_->vocabSize() : processor_->GetPieceSize();
}
int64_t Tokenizer::bosId() const {
  return hf_ ? hf_->bosId() : processor_->bos_id();
}
int64_t Tokenizer::eosId() const {
  return hf_ ? hf_->eosId() : processor_->eos_id();
}

} // namespace llmc::runtime
