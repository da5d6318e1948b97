//===- Unicode.h - UTF-8 and Unicode helpers for tokenizer.json -----------===//
//
// What Hugging Face tokenizers do to text that C++ strings do not: code
// points, the GPT-2 byte-to-character map of byte-level BPE, Unicode
// normalization forms and case (through utf8proc), and the "lossy" UTF-8
// repair that decoding byte tokens needs.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_TOKENIZER_UNICODE_H
#define LLMC_RUNTIME_TOKENIZER_UNICODE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmc::runtime::unicode {

/// The byte offset of the first invalid UTF-8 sequence in `text`, or npos.
size_t firstInvalid(std::string_view text);

/// The length in bytes of the (valid) UTF-8 character starting at `lead`.
inline size_t charLength(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}
/// The code point of the valid UTF-8 character at `text[at]`.
char32_t codePoint(std::string_view text, size_t at);
void append(std::string &out, char32_t codePoint);

/// Rust's char::is_whitespace (the White_Space property).
bool isWhitespace(char32_t c);

/// GPT-2's reversible map: printable bytes stand for themselves, the others
/// for U+0100 onwards, so every byte string is a string of visible
/// characters (a space is "Ġ").
const std::string &byteCharacter(unsigned char byte);
/// The byte `c` stands for, or -1 when it stands for none.
int characterByte(char32_t c);

enum class Form { NFC, NFD, NFKC, NFKD };
std::string normalize(std::string_view text, Form form);
/// Each character's full lowercase mapping (Rust's char::to_lowercase).
std::string lowercase(std::string_view text);
/// `text` without its nonspacing marks (Mn).
std::string stripAccents(std::string_view text);

/// `bytes` as UTF-8, each maximal invalid subsequence replaced by U+FFFD
/// (Rust's String::from_utf8_lossy).
std::string lossy(std::string_view bytes);

} // namespace llmc::runtime::unicode

#endif // LLMC_RUNTIME_TOKENIZER_UNICODE_H
