//===- tokenizer_text.cpp - fuzzing text through a tokenizer --------------===//
//
// Input: text (any bytes). Encoded by the tokenizer.json named by
// LLMC_FUZZ_TOKENIZER (scripts/fuzz.sh converts fortunes3m's), and the ids
// decoded again; the input's bytes are also decoded as ids.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include <cstdio>
#include <cstdlib>

namespace {
const llmc::runtime::Tokenizer &tokenizer() {
  static const llmc::runtime::Tokenizer *loaded = [] {
    const char *path = std::getenv("LLMC_FUZZ_TOKENIZER");
    llmc::runtime::Expected<llmc::runtime::Tokenizer> read =
        llmc::runtime::Tokenizer::load(path ? path : "");
    if (!read) {
      std::fprintf(stderr, "fuzz-tokenizer-text: LLMC_FUZZ_TOKENIZER: %s\n",
                   read.status().message().c_str());
      std::exit(2);
    }
    return new llmc::runtime::Tokenizer(std::move(*read));
  }();
  return *loaded;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  llmc::runtime::Expected<std::vector<int64_t>> ids = tokenizer().encode(text);
  if (ids)
    (void)tokenizer().decode(*ids);
  std::vector<int64_t> bytes(data, data + size);
  (void)tokenizer().decode(bytes);
  return 0;
}
