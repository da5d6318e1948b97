//===- DraftSpec.h - what llmc compile --draft names ----------------------===//
//
// The draft of speculative decoding (docs/speculative.md):
//   ngram[:n=N]       n-gram lookup in the sequence so far (n 1..8, default
//                     3), no model
//   PATH.onnx         a second, smaller ONNX model with the target's
//                     vocabulary
//   self:layers=N[,quant=int4][,prune=R]
//                     the target's first N layers, final norm and lm_head
//                     (early exit), optionally 4-bit and head-pruned
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_DRAFTSPEC_H
#define LLMC_TOOLS_LLMC_DRAFTSPEC_H

#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>

namespace llmc::tool {

struct DraftSpec {
  enum class Kind { ngram, model, self } kind = Kind::ngram;
  /// ngram: the tokens a lookup matches.
  int64_t ngram = 3;
  /// model: the ONNX file.
  std::string path;
  /// self: the layers kept, whether they are 4-bit, the share of heads
  /// pruned.
  int64_t layers = 0;
  bool int4 = false;
  double prune = 0.0;
  /// The flag's text, recorded in the artifact.
  std::string text;
};

/// Parses `text`; failure with the reason in `error`.
mlir::FailureOr<DraftSpec> parseDraftSpec(llvm::StringRef text,
                                          std::string &error);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_DRAFTSPEC_H
