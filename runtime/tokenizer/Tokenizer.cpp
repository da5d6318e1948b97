//===- Tokenizer.cpp - SentencePiece through libsentencepiece -------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>

namespace llmc::runtime {

Tokenizer::Tokenizer()
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Expected<Tokenizer> Tokenizer::load(const std::string &path) {
  Tokenizer tokenizer;
  tokenizer.path_ = path;
  sentencepiece::util::Status status = tokenizer.processor_->Load(path);
  if (!status.ok())
    return Status::error(path +
                         ": not a SentencePiece model: " + status.ToString());
  return tokenizer;
}

Expected<std::optional<Tokenizer>>
Tokenizer::fromArtifact(const Artifact &artifact, const std::string &path) {
  if (!artifact.hasSection(ModelInfo::kTokenizerSection))
    return std::optional<Tokenizer>();
  Expected<Bytes> bytes = artifact.section(ModelInfo::kTokenizerSection);
  if (!bytes)
    return bytes.status();
  Tokenizer tokenizer;
  tokenizer.path_ = path + ": its tokenizer section";
  sentencepiece::util::Status status =
      tokenizer.processor_->LoadFromSerializedProto(absl::string_view(
          reinterpret_cast<const char *>(bytes->data), bytes->size));
  if (!status.ok())
    return Status::error(tokenizer.path_ +
                         ": not a SentencePiece model: " + status.ToString());
  return std::optional<Tokenizer>(std::move(tokenizer));
}

Expected<std::vector<int64_t>>
Tokenizer::encode(const std::string &text) const {
  std::vector<int> ids;
  sentencepiece::util::Status status = processor_->Encode(text, &ids);
  if (!status.ok())
    return Status::error(path_ + ": cannot encode: " + status.ToString());
  return std::vector<int64_t>(ids.begin(), ids.end());
}

Expected<std::string> Tokenizer::decode(const std::vector<int64_t> &ids) const {
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

int64_t Tokenizer::vocabSize() const { return processor_->GetPieceSize(); }
int64_t Tokenizer::bosId() const { return processor_->bos_id(); }
int64_t Tokenizer::eosId() const { return processor_->eos_id(); }

} // namespace llmc::runtime
