//===- Regex.cpp - the split patterns of tokenizer.json, through PCRE2 ----===//

#include "runtime/tokenizer/Regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace llmc::runtime {

Expected<Regex> Regex::compile(const std::string &pattern,
                               const std::string &where) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()),
                                   pattern.size(), PCRE2_UTF | PCRE2_UCP,
                                   &error, &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return Status::error(where + ": the pattern " + pattern +
                         " does not compile at offset " +
                         std::to_string(offset) + ": " +
                         reinterpret_cast<const char *>(message));
  }
  // Without JIT (unsupported here) matching still works, only slower.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  Regex regex;
  regex.code_ = std::shared_ptr<void>(
      code, [](void *p) { pcre2_code_free(static_cast<pcre2_code *>(p)); });
  return regex;
}

Expected<Regex> Regex::literal(const std::string &literal,
                               const std::string &where) {
  return compile("\\Q" + literal + "\\E", where);
}

void Regex::forEachMatch(
    std::string_view text,
    const std::function<void(size_t, size_t)> &match) const {
  struct MatchData {
    pcre2_match_data *data = pcre2_match_data_create(1, nullptr);
    ~MatchData() { pcre2_match_data_free(data); }
  };
  thread_local MatchData scratch;
  auto *code = static_cast<pcre2_code *>(code_.get());
  size_t at = 0;
  while (at <= text.size()) {
    int found =
        pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()),
                    text.size(), at, PCRE2_NO_UTF_CHECK, scratch.data, nullptr);
    if (found < 0) // PCRE2_ERROR_NOMATCH, or a limit hit: no more matches.
      return;
    PCRE2_SIZE *range = pcre2_get_ovector_pointer(scratch.data);
    size_t begin = range[0], end = range[1];
    if (end == begin) { // An empty match: step over one character.
      if (begin >= text.size())
        return;
      at = begin + 1;
      while (at < text.size() && (text[at] & 0xC0) == 0x80)
        ++at;
      continue;
    }
    match(begin, end);
    at = end;
  }
}

} // namespace llmc::runtime
