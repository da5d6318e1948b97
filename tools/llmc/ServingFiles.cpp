//===- ServingFiles.cpp - llmc compile --tokenizer and --chat-template ----===//

#include "tools/llmc/ServingFiles.h"

#include "runtime/format/Artifact.h"
#include "runtime/serve/ChatTemplate.h"
#include "runtime/tokenizer/HfTokenizer.h"

#include <nlohmann/json.hpp>

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

/// The tokens of the tokenizer at `path`, as llmc-tokenize (beside this
/// program) loads it: SentencePiece cannot share a process with ONNX's
/// protobuf. 0 with the reason in `why` when it cannot.
int64_t tokenizerPieces(const std::string &path, std::string &why) {
  static int anchor;
  llvm::SmallString<256> tool(llvm::sys::path::parent_path(
      llvm::sys::fs::getMainExecutable(nullptr, &anchor)));
  llvm::sys::path::append(tool, "llmc-tokenize");
  llvm::SmallString<128> out;
  if (std::error_code error =
          llvm::sys::fs::createTemporaryFile("llmc-pieces", "txt", out)) {
    why = "cannot create a temporary file: " + error.message();
    return 0;
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
  if (status != 0 || llvm::StringRef(text).getAsInteger(10, pieces) ||
      pieces <= 0) {
    llvm::StringRef said =
        text.empty() ? llvm::StringRef(message) : llvm::StringRef(text);
    said.consume_front("llmc-tokenize: error: ");
    why = said.str();
    return 0;
  }
  return pieces;
}

/// `name` in the folder of `model`, if that file exists.
std::string beside(const std::string &model, const char *name) {
  llvm::SmallString<256> path(llvm::sys::path::parent_path(model));
  llvm::sys::path::append(path, name);
  return llvm::sys::fs::exists(path) ? path.str().str() : std::string();
}

/// tokenizer_config.json's chat template (a string, or the "default" of a
/// list of named ones), or empty with the reason in `why`.
std::string configTemplate(const std::string &path, std::string &why) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path);
  if (!file) {
    why = file.getError().message();
    return {};
  }
  nlohmann::json config =
      nlohmann::json::parse((*file)->getBuffer().str(), nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    why = "not a JSON object";
    return {};
  }
  auto found = config.find("chat_template");
  if (found == config.end())
    return {};
  if (found->is_string())
    return found->get<std::string>();
  if (found->is_array())
    for (const nlohmann::json &named : *found)
      if (named.is_object() && named.value("name", "") == "default" &&
          named.contains("template") && named["template"].is_string())
        return named["template"].get<std::string>();
  why = "its chat_template is neither a string nor a list with a \"default\"";
  return {};
}

} // namespace

mlir::FailureOr<ServingFiles>
readServingFiles(const std::string &tokenizerFlag,
                 const std::string &chatTemplateFlag,
                 const std::string &model) {
  ServingFiles files;
  std::string tokenizer = tokenizerFlag;
  bool found = tokenizer.empty();
  if (found) {
    tokenizer = beside(model, "tokenizer.model");
    if (tokenizer.empty())
      tokenizer = beside(model, "tokenizer.json");
  }
  std::string chatTemplate = chatTemplateFlag;
  std::string fromConfig;
  if (chatTemplate.empty())
    if (std::string config = beside(model, "tokenizer_config.json");
        !config.empty()) {
      std::string why;
      fromConfig = configTemplate(config, why);
      if (!why.empty())
        files.warnings.push_back(config + ": " + why +
                                 ": no chat template taken from it");
      if (!fromConfig.empty()) {
        runtime::Expected<runtime::ChatTemplate> parsed =
            runtime::ChatTemplate::parse(fromConfig);
        if (parsed) {
          files.chatTemplateSource = config;
          files.sections.emplace_back(runtime::ModelInfo::kChatTemplateSection,
                                      fromConfig);
        } else {
          files.warnings.push_back(
              config + ": its chat template uses what llmc's subset lacks (" +
              parsed.status().message() +
              "): not stored (give --chat-template)");
        }
      }
    }
  if (!tokenizer.empty()) {
    mlir::FailureOr<std::string> bytes = readWhole(tokenizer, "--tokenizer");
    if (mlir::failed(bytes))
      return mlir::failure();
    std::string why;
    int64_t pieces = tokenizerPieces(tokenizer, why);
    if (pieces <= 0 && !found) {
      llvm::errs() << "llmc compile: --tokenizer " << tokenizer << ": " << why
                   << "\n";
      return mlir::failure();
    }
    if (pieces <= 0) {
      // A file beside the model that llmc cannot read: said, not fatal.
      files.warnings.push_back(why + ": the artifact has no tokenizer");
    } else {
      bool json = runtime::HfTokenizer::isTokenizerJson(*bytes);
      files.tokenizerPieces = pieces;
      files.tokenizerPath = tokenizer;
      files.tokenizerKind = json ? "tokenizer.json" : "SentencePiece";
      files.tokenizerBeside = found;
      files.sections.emplace_back(runtime::ModelInfo::kTokenizerSection,
                                  std::move(*bytes));
      // A tokenizer.json's special tokens are in tokenizer_config.json.
      std::string config =
          json ? runtime::HfTokenizer::configBeside(tokenizer) : "";
      if (!config.empty()) {
        mlir::FailureOr<std::string> text = readWhole(config, "--tokenizer");
        if (mlir::failed(text))
          return mlir::failure();
        files.sections.emplace_back(runtime::ModelInfo::kTokenizerConfigSection,
                                    std::move(*text));
      }
    }
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
    files.chatTemplateSource = chatTemplate;
    files.sections.emplace_back(runtime::ModelInfo::kChatTemplateSection,
                                std::move(source));
  }
  return files;
}

} // namespace llmc::tool
