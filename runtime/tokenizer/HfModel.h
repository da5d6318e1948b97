//===- HfModel.h - tokenizer.json's model: BPE or WordLevel ---------------===//
//
// The model turns one pre-tokenized piece into ids.
// BPE starts from the piece's characters (each one missing from the
// vocabulary as its "<0xAB>" byte tokens with byte_fallback, else the unk
// token, consecutive ones fused with fuse_unk, else dropped) and applies
// the merges lowest rank first, leftmost first among equal ranks, as the
// `tokenizers` library does; ignore_merges takes a piece found whole in
// the vocabulary as it is (Llama 3). Results are cached per piece.
// WordLevel looks the piece up whole (the unk token when absent).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_TOKENIZER_HFMODEL_H
#define LLMC_RUNTIME_TOKENIZER_HFMODEL_H

#include "runtime/format/Status.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace llmc::runtime::hf {

class Model {
public:
  /// Reads the "model" object of tokenizer.json found at `where`.
  static Expected<std::unique_ptr<Model>> parse(const nlohmann::json &json,
                                                const std::string &where);

  /// Appends the ids of `piece`; an error when a WordLevel piece is unknown
  /// and there is no unk token.
  Status tokenize(const std::string &piece, std::vector<int64_t> &ids) const;

  /// The token of `id`, or null when no vocabulary entry has it.
  const std::string *token(int64_t id) const;
  /// The id of `token`, or -1.
  int64_t id(const std::string &token) const;
  /// One past the largest id.
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }

private:
  enum class Kind { Bpe, WordLevel };
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  static uint64_t pairKey(int64_t left, int64_t right) {
    return (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
  }
  void bpe(const std::string &piece, std::vector<int64_t> &ids) const;

  Kind kind_ = Kind::Bpe;
  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::string> tokens_;
  std::vector<bool> present_;
  std::unordered_map<uint64_t, Merge> merges_;
  int64_t unk_ = -1;
  bool byteFallback_ = false, fuseUnk_ = false, ignoreMerges_ = false;
  std::string prefix_, suffix_;
  std::array<int64_t, 256> byteIds_{};
  bool allBytes_ = false;

  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache_;
};

} // namespace llmc::runtime::hf

#endif // LLMC_RUNTIME_TOKENIZER_HFMODEL_H
