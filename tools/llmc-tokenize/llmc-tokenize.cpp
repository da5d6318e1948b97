//===- llmc-tokenize.cpp - a text as token-id sequences -------------------===//
//
// llmc-tokenize --tokenizer tok.model TEXT [-o ids.txt] [--no-bos] [--eos]
// llmc-tokenize --tokenizer tok.model --pieces
// Each passage of TEXT (the pieces between blank lines) becomes one line of
// token ids: the token-id file `llmc compile --calib` and `llmc-run eval
// --ids` read. `llmc compile --calib-tokenizer` runs this tool (the
// compiler cannot load SentencePiece beside ONNX's protobuf).
//
//===----------------------------------------------------------------------===//

#include "runtime/format/Version.h"
#include "runtime/support/TokenFile.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char **argv) {
  CLI::App app{"llmc-tokenize: passages of a text as token-id sequences"};
  app.set_version_flag("--version",
                       llmc::runtime::versionLine("llmc-tokenize"));
  std::string textPath, tokenizerPath, outputPath;
  bool noBos = false, eos = false;
  bool pieces = false;
  CLI::Option *textOption =
      app.add_option("text", textPath,
                     "The text (passages separated by blank "
                     "lines)")
          ->check(CLI::ExistingFile);
  app.add_flag("--pieces", pieces,
               "Only print the tokenizer's number of pieces (llmc compile "
               "--tokenizer checks a tokenizer this way)")
      ->excludes(textOption);
  app.add_option("--tokenizer", tokenizerPath, "SentencePiece model")
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
  if (textPath.empty())
    return fail("give a text, or --pieces");
  std::ifstream file(textPath, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  if (!file)
    return fail("cannot read " + textPath);
  std::ostringstream out;
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
  if (outputPath.empty()) {
    std::cout << out.str();
    return 0;
  }
  // Through a temporary file, so a failure leaves no partial output.
  std::string temporary = outputPath + ".tmp";
  std::ofstream output(temporary, std::ios::binary);
  output << out.str();
  output.close();
  if (!output || std::rename(temporary.c_str(), outputPath.c_str()) != 0) {
    std::remove(temporary.c_str());
    return fail("cannot write " + outputPath);
  }
  return 0;
}
