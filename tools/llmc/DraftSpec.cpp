//===- DraftSpec.cpp - what llmc compile --draft names --------------------===//

#include "tools/llmc/DraftSpec.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

namespace llmc::tool {

namespace {

/// Splits "key=value,key=value" into pairs; failure names the piece that
/// is not one.
mlir::FailureOr<llvm::SmallVector<std::pair<llvm::StringRef, llvm::StringRef>>>
splitSettings(llvm::StringRef settings, std::string &error) {
  llvm::SmallVector<std::pair<llvm::StringRef, llvm::StringRef>> pairs;
  llvm::SmallVector<llvm::StringRef> pieces;
  settings.split(pieces, ',');
  for (llvm::StringRef piece : pieces) {
    auto [key, value] = piece.split('=');
    if (key.trim().empty() || value.trim().empty()) {
      error = "'" + piece.str() + "' is not KEY=VALUE";
      return mlir::failure();
    }
    pairs.push_back({key.trim(), value.trim()});
  }
  return pairs;
}

} // namespace

mlir::FailureOr<DraftSpec> parseDraftSpec(llvm::StringRef text,
                                          std::string &error) {
  DraftSpec spec;
  spec.text = text.str();
  auto [head, settings] = text.split(':');
  if (head == "ngram" || head == "self") {
    spec.kind =
        head == "ngram" ? DraftSpec::Kind::ngram : DraftSpec::Kind::self;
    llvm::SmallVector<std::pair<llvm::StringRef, llvm::StringRef>> pairs;
    if (!settings.empty()) {
      auto split = splitSettings(settings, error);
      if (failed(split))
        return mlir::failure();
      pairs = std::move(*split);
    }
    for (auto [key, value] : pairs) {
      auto integer = [&](int64_t &into, int64_t low, int64_t high) {
        if (value.getAsInteger(10, into) || into < low || into > high) {
          error = key.str() + "=" + value.str() + " is not a whole number in " +
                  std::to_string(low) + ".." + std::to_string(high);
          return false;
        }
        return true;
      };
      if (head == "ngram" && key == "n") {
        if (!integer(spec.ngram, 1, 8))
          return mlir::failure();
      } else if (head == "self" && key == "layers") {
        if (!integer(spec.layers, 1, 1 << 20))
          return mlir::failure();
      } else if (head == "self" && key == "quant") {
        if (value != "int4") {
          error = "quant=" + value.str() +
                  " is not supported (int4: the "
                  "draft's weights rounded to 4 bits)";
          return mlir::failure();
        }
        spec.int4 = true;
      } else if (head == "self" && key == "prune") {
        if (value.getAsDouble(spec.prune) || !(spec.prune > 0.0) ||
            !(spec.prune < 1.0)) {
          error = "prune=" + value.str() + " is not a share of heads in (0, 1)";
          return mlir::failure();
        }
      } else {
        error = "unknown setting '" + key.str() + "' of " + head.str() +
                (head == "ngram" ? " (n=N)"
                                 : " (layers=N, quant=int4, "
                                   "prune=R)");
        return mlir::failure();
      }
    }
    if (spec.kind == DraftSpec::Kind::self && spec.layers == 0) {
      error = "self needs layers=N (the target's first N layers)";
      return mlir::failure();
    }
    return spec;
  }
  spec.kind = DraftSpec::Kind::model;
  spec.path = text.str();
  if (!llvm::sys::fs::is_regular_file(spec.path)) {
    error = "'" + spec.path +
            "' is neither ngram[:n=N], self:layers=N[,quant=int4][,prune=R] "
            "nor an ONNX file";
    return mlir::failure();
  }
  return spec;
}

} // namespace llmc::tool
