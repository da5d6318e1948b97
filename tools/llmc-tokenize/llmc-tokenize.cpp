//===- llmc-tokenize.cpp - a text as token-id sequences -------------------===//
//
// llmc-tokenize --tokenizer tok.model TEXT [-o ids.txt] [--no-bos] [--eos]
// llmc-tokenize --tokenizer tok.model --pieces
// llmc-tokenize --tokenizer tokenizer.json --lines FILE [--decode] [-o F]
// Each passage of TEXT (the pieces between blank lines) becomes one line of
// token ids: the token-id file `llmc compile --calib` and `llmc-run eval
// --ids` read. `llmc compile --calib-tokenizer` runs this tool (the
// compiler cannot load SentencePiece beside ONNX's protobuf).
// --lines encodes each line of FILE on its own (no BOS) and prints its ids,
// with the encoding speed on standard error; --decode reads lines of ids
// and prints each one's text as a JSON string: test/tokenizer/parity.py
// compares both with Hugging Face's `tokenizers`.
//
//===----------------------------------------------------------------------===//

#include "runtime/format/Version.h"
#include "runtime/support/TokenFile.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

/// `text` to `path` (standard output when empty) through a temporary file,
/// so a failure leaves no partial output.
bool write(const std::string &text, const std::string &path) {
  if (path.empty()) {
    std::cout << text;
    return true;
  }
  std::string temporary = path + ".tmp";
  std::ofstream output(temporary, std::ios::binary);
  output << text;
  output.close();
  if (!output || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

llmc::runtime::Status encodeLines(const llmc::runtime::Tokenizer &tokenizer,
                                  const std::string &text,
                                  std::ostringstream &out) {
  std::vector<std::string> all = lines(text);
  std::vector<std::vector<int64_t>> encoded(all.size());
  size_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < all.size(); ++i) {
    llmc::runtime::Expected<std::vector<int64_t>> ids =
        tokenizer.encode(all[i]);
    if (!ids)
      return llmc::runtime::Status::error("line " + std::to_string(i + 1) +
                                          ": " + ids.status().message());
    encoded[i] = std::move(*ids);
    bytes += all[i].size();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  size_t tokens = 0;
  for (const std::vector<int64_t> &ids : encoded) {
    for (size_t j = 0; j < ids.size(); ++j)
      out << (j ? " " : "") << ids[j];
    out << "\n";
    tokens += ids.size();
  }
  std::cerr << "encoded " << all.size() << " lines, " << bytes << " bytes, "
            << tokens << " tokens in " << seconds
            << " s: " << bytes / seconds / 1e6 << " MB/s\n";
  return llmc::runtime::Status::success();
}

llmc::runtime::Status decodeLines(const llmc::runtime::Tokenizer &tokenizer,
                                  const std::string &text,
                                  std::ostringstream &out) {
  std::vector<std::string> all = lines(text);
  for (size_t i = 0; i < all.size(); ++i) {
    std::vector<int64_t> ids;
    std::istringstream numbers(all[i]);
    for (std::string number; numbers >> number;) {
      char *end = nullptr;
      long long id = std::strtoll(number.c_str(), &end, 10);
      if (*end != '\0')
        return llmc::runtime::Status::error("line " + std::to_string(i + 1) +
                                            ": \"" + number +
                                            "\" is not a token id");
      ids.push_back(id);
    }
    llmc::runtime::Expected<std::string> decoded = tokenizer.decode(ids);
    if (!decoded)
      return llmc::runtime::Status::error("line " + std::to_string(i + 1) +
                                          ": " + decoded.status().message());
    out << nlohmann::json(*decoded).dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  }
  return llmc::runtime::Status::success();
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"llmc-tokenize: passages of a text as token-id sequences"};
  app.set_version_flag("--version",
                       llmc::runtime::versionLine("llmc-tokenize"));
  std::string textPath, tokenizerPath, outputPath;
  bool noBos = false, eos = false;
  bool pieces = false, decode = false;
  std::string linesPath;
  CLI::Option *textOption =
      app.add_option("text", textPath,
                     "The text (passages separated by blank "
                     "lines)")
          ->check(CLI::ExistingFile);
  app.add_flag("--pieces", pieces,
               "Only print the tokenizer's number of pieces (llmc compile "
               "--tokenizer checks a tokenizer this way)")
      ->excludes(textOption);
  CLI::Option *linesOption =
      app.add_option("--lines", linesPath,
                     "Encode each line of this file on its own (no BOS)")
          ->check(CLI::ExistingFile)
          ->excludes(textOption);
  app.add_flag("--decode", decode,
               "With --lines: each line is ids; print its text as JSON")
      ->needs(linesOption);
  app.add_option("--tokenizer", tokenizerPath,
                 "SentencePiece model or tokenizer.json")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("-o", outputPath, "Write here (default: standard output)");
  app.add_flag("--no-bos", noBos, "Do not start each sequence with BOS");
  app.add_flag("--eos", eos, "End each sequence with EOS");
  CLI11_PARSE(app, argc, argv);

  auto fail = [](const std::string &message) {
    std::cerr << "llmc-tokenize: error: " << message << "\n";
    return 1;
  };
  llmc::runtime::Expected<llmc::runtime::Tokenizer> tokenizer =
      llmc::runtime::Tokenizer::load(tokenizerPath);
  if (!tokenizer)
    return fail(tokenizer.status().message());
  if (pieces) {
    std::cout << tokenizer->vocabSize() << "\n";
    return 0;
  }
  if (textPath.empty() && linesPath.empty())
    return fail("give a text, --lines or --pieces");
  const std::string &inputPath = textPath.empty() ? linesPath : textPath;
  std::ifstream file(inputPath, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  if (!file)
    return fail("cannot read " + inputPath);
  std::ostringstream out;
  if (!linesPath.empty()) {
    llmc::runtime::Status status =
        decode ? decodeLines(*tokenizer, text.str(), out)
               : encodeLines(*tokenizer, text.str(), out);
    if (!status.ok())
      return fail(linesPath + ": " + status.message());
    return write(out.str(), outputPath) ? 0
                                        : fail("cannot write " + outputPath);
  }
  int64_t lines = 0;
  for (const std::string &passage : llmc::runtime::textPassages(text.str())) {
    llmc::runtime::Expected<std::vector<int64_t>> ids =
        tokenizer->encode(passage);
    if (!ids)
      return fail(ids.status().message());
    std::vector<int64_t> sequence;
    if (!noBos && tokenizer->bosId() >= 0)
      sequence.push_back(tokenizer->bosId());
    sequence.insert(sequence.end(), ids->begin(), ids->end());
    if (eos && tokenizer->eosId() >= 0)
      sequence.push_back(tokenizer->eosId());
    for (size_t i = 0; i < sequence.size(); ++i)
      out << (i ? " " : "") << sequence[i];
    out << "\n";
    ++lines;
  }
  if (lines == 0)
    return fail(textPath + " has no passage");
  return write(out.str(), outputPath) ? 0 : fail("cannot write " + outputPath);
}
