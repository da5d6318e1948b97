//===- ServingFiles.cpp - llmc compile --tokenizer and --chat-template ----===//

#include "tools/llmc/ServingFiles.h"

#include "runtime/format/Artifact.h"
#include "runtime/serve/ChatTemplate.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace llmc::tool {
namespace {

mlir::FailureOr<std::string> readWhole(const std::string &path,
                                       const char *flag) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path);
  if (!file) {
    llvm::errs() << "llmc compile: " << flag << " " << path << ": "
                 << file.getError().message() << "\n";
    return mlir::failure();
  }
  return (*file)->getBuffer().str();
}

/// The pieces of the SentencePiece model at `path`, as llmc-tokenize
/// (beside this program) loads it: SentencePiece cannot share a process
/// with ONNX's protobuf.
mlir::FailureOr<int64_t> tokenizerPieces(const std::string &path) {
  static int anchor;
  llvm::SmallString<256> tool(llvm::sys::path::parent_path(
      llvm::sys::fs::getMainExecutable(nullptr, &anchor)));
  llvm::sys::path::append(tool, "llmc-tokenize");
  llvm::SmallString<128> out;
  if (std::error_code error =
          llvm::sys::fs::createTemporaryFile("llmc-pieces", "txt", out)) {
    llvm::errs() << "llmc compile: cannot create a temporary file: "
                 << error.message() << "\n";
    return mlir::failure();
  }
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, out.str(),
                                                out.str()};
  std::string message;
  int status =
      llvm::sys::ExecuteAndWait(tool, {tool, "--tokenizer", path, "--pieces"},
                                std::nullopt, redirects, 0, 0, &message);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> printed =
      llvm::MemoryBuffer::getFile(out);
  llvm::sys::fs::remove(out);
  std::string text = printed ? (*printed)->getBuffer().trim().str() : "";
  int64_t pieces = 0;
  if (status != 0 || llvm::StringRef(text).getAsInteger(10, pieces)) {
    llvm::errs() << "llmc compile: --tokenizer " << path << ": "
                 << (text.empty() ? message : text) << "\n";
    return mlir::failure();
  }
  return pieces;
}

} // namespace

mlir::FailureOr<ServingFiles>
readServingFiles(const std::string &tokenizer,
                 const std::string &chatTemplate) {
  ServingFiles files;
  if (!tokenizer.empty()) {
    mlir::FailureOr<std::string> bytes = readWhole(tokenizer, "--tokenizer");
    if (mlir::failed(bytes))
      return mlir::failure();
    mlir::FailureOr<int64_t> pieces = tokenizerPieces(tokenizer);
    if (mlir::failed(pieces))
      return mlir::failure();
    files.tokenizerPieces = *pieces;
    files.sections.emplace_back(runtime::ModelInfo::kTokenizerSection,
                                std::move(*bytes));
  }
  if (!chatTemplate.empty()) {
    std::string source = runtime::ChatTemplate::resolve(chatTemplate);
    if (source == chatTemplate) {
      mlir::FailureOr<std::string> text =
          readWhole(chatTemplate, "--chat-template");
      if (mlir::failed(text))
        return mlir::failure();
      source = std::move(*text);
    }
    runtime::Expected<runtime::ChatTemplate> parsed =
        runtime::ChatTemplate::parse(source);
    if (!parsed) {
      llvm::errs() << "llmc compile: --chat-template " << chatTemplate << ": "
                   << parsed.status().message() << "\n";
      return mlir::failure();
    }
    files.sections.emplace_back(runtime::ModelInfo::kChatTemplateSection,
                                std::move(source));
  }
  return files;
}

} // namespace llmc::tool
