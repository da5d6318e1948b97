//===- Tokenizer.cpp - SentencePiece through libsentencepiece -------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include <sentencepiece_processor.h>

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

Expected<Tokenizer> Tokenizer::fromBytes(const std::string &bytes,
                                         const std::string &name) {
  Tokenizer tokenizer;
  tokenizer.path_ = name;
  sentencepiece::util::Status status =
      tokenizer.processor_->LoadFromSerializedProto(bytes);
  if (!status.ok())
    return Status::error(name +
                         ": not a SentencePiece model: " + status.ToString());
  return tokenizer;
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
