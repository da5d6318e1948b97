//===- Regex.h - the split patterns of tokenizer.json, through PCRE2 ------===//
//
// Hugging Face tokenizers match their split patterns with Oniguruma; PCRE2
// (JIT-compiled, UTF and Unicode properties on) reads the same patterns:
// \p{L}, \s, lookahead, scoped flags such as (?i:'s|'t).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_TOKENIZER_REGEX_H
#define LLMC_RUNTIME_TOKENIZER_REGEX_H

#include "runtime/format/Status.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace llmc::runtime {

class Regex {
public:
  /// `pattern` compiled; an error names `where` and PCRE2's reason.
  static Expected<Regex> compile(const std::string &pattern,
                                 const std::string &where);
  /// A pattern matching `literal` itself.
  static Expected<Regex> literal(const std::string &literal,
                                 const std::string &where);

  /// Calls `match(begin, end)` for each non-overlapping non-empty match in
  /// `text` (valid UTF-8), left to right.
  void forEachMatch(std::string_view text,
                    const std::function<void(size_t, size_t)> &match) const;

private:
  std::shared_ptr<void> code_; // pcre2_code_8
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_TOKENIZER_REGEX_H
