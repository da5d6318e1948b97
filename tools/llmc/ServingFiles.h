//===- ServingFiles.h - llmc compile --tokenizer and --chat-template ------===//
//
// What an artifact carries for serving text (docs/serving.md): the
// tokenizer's bytes (a SentencePiece model, or a tokenizer.json with the
// tokenizer_config.json beside it) and the chat template's source, each read
// and checked at compile time (the template parsed, its errors naming
// line and column; the tokenizer loaded, its pieces within the model's
// vocabulary), so that llmc-run serve finds them usable. Without the
// flags, what a Hugging Face export puts beside the ONNX file is taken:
// tokenizer.model (SentencePiece) or else tokenizer.json, and
// tokenizer_config.json's chat_template when llmc's template subset parses
// it; one of these llmc cannot read is a warning, never a failed compile.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_SERVINGFILES_H
#define LLMC_TOOLS_LLMC_SERVINGFILES_H

#include "mlir/Support/LogicalResult.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmc::tool {

struct ServingFiles {
  /// (section name, bytes), for ArtifactOptions::files.
  std::vector<std::pair<std::string, std::string>> sections;
  /// The tokenizer's pieces (0: no tokenizer) and where it came from.
  int64_t tokenizerPieces = 0;
  std::string tokenizerPath;
  /// "SentencePiece" or "tokenizer.json".
  std::string tokenizerKind;
  /// Found beside the model rather than given with --tokenizer.
  bool tokenizerBeside = false;
  /// Where the chat template came from: a file, a built-in name (empty:
  /// none).
  std::string chatTemplateSource;
  /// Warnings for the compile summary (a file beside the model not taken,
  /// and why).
  std::vector<std::string> warnings;
};

/// Reads `tokenizer` (a path or empty) and `chatTemplate` (a path, a
/// built-in name or empty), or, where empty, the files beside `model`
/// (the ONNX file); failure printed as "llmc compile: ...".
mlir::FailureOr<ServingFiles> readServingFiles(const std::string &tokenizer,
                                               const std::string &chatTemplate,
                                               const std::string &model);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_SERVINGFILES_H
