//===- tokenizer_json.cpp - fuzzing the tokenizer.json reader -------------===//
//
// Input: a tokenizer.json. Read it; when it reads, encode a few texts and
// decode every id it has (up to 512) through it.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/HfTokenizer.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using llmc::runtime::Expected;
  using llmc::runtime::HfTokenizer;
  std::string_view json(reinterpret_cast<const char *>(data), size);
  Expected<std::unique_ptr<HfTokenizer>> tokenizer =
      HfTokenizer::parse(json, {}, "fuzz");
  if (!tokenizer)
    return 0;
  for (std::string_view text :
       {"Hello, world! It's 1234.", "  \t\r\n  x", "caf\xC3\xA9 \xE6\x97\xA5",
        "<s></s><|endoftext|>", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"})
    (void)(*tokenizer)->encode(text);
  std::vector<int64_t> ids;
  for (int64_t id = 0; id < std::min<int64_t>((*tokenizer)->vocabSize(), 512);
       ++id)
    ids.push_back(id);
  (void)(*tokenizer)->decode(ids);
  return 0;
}
