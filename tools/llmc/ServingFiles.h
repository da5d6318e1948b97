//===- ServingFiles.h - llmc compile --tokenizer and --chat-template ------===//
//
// What an artifact carries for serving text (docs/serving.md): the
// SentencePiece model's bytes and the chat template's source, each read
// and checked at compile time (the template parsed, its errors naming
// line and column; the tokenizer loaded, its pieces within the model's
// vocabulary), so that llmc-run serve finds them usable.
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
  /// The tokenizer's pieces (0: no tokenizer).
  int64_t tokenizerPieces = 0;
};

/// Reads `tokenizer` (a path or empty) and `chatTemplate` (a path, a
/// built-in name or empty); failure printed as "llmc compile: ...".
mlir::FailureOr<ServingFiles> readServingFiles(const std::string &tokenizer,
                                               const std::string &chatTemplate);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_SERVINGFILES_H
