//===- Unicode.cpp - UTF-8 and Unicode helpers for tokenizer.json ---------===//

#include "runtime/tokenizer/Unicode.h"

#include <utf8proc.h>

#include <array>
#include <cstdlib>

namespace llmc::runtime::unicode {
namespace {

/// The bytes of the longest prefix of a UTF-8 character at `text[at]` that
/// is well formed so far: the whole character (positive) or, where it is
/// broken or cut short, minus the bytes of its maximal subpart (at least 1).
int wellFormed(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80)
    return 1;
  int length;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0)
      low = 0xA0;
    if (lead == 0xED)
      high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0)
      low = 0x90;
    if (lead == 0xF4)
      high = 0x8F;
  } else
    return -1;
  for (int i = 1; i < length; ++i) {
    if (at + i >= text.size())
      return -i;
    unsigned char next = byte(at + i);
    if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF))
      return -i;
  }
  return length;
}

std::string map(std::string_view text, int options) {
  if (text.empty())
    return {};
  utf8proc_uint8_t *out = nullptr;
  utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t *>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &out,
                   static_cast<utf8proc_option_t>(options | UTF8PROC_STABLE));
  if (length < 0) // Invalid UTF-8: callers check before, so keep it as is.
    return std::string(text);
  std::string result(reinterpret_cast<char *>(out), length);
  std::free(out);
  return result;
}

} // namespace

size_t firstInvalid(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    int length = wellFormed(text, at);
    if (length < 0)
      return at;
    at += length;
  }
  return std::string_view::npos;
}

char32_t codePoint(std::string_view text, size_t at) {
  auto byte = [&](size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(text[at + i]));
  };
  char32_t lead = byte(0);
  if (lead < 0x80)
    return lead;
  if (lead < 0xE0)
    return ((lead & 0x1F) << 6) | (byte(1) & 0x3F);
  if (lead < 0xF0)
    return ((lead & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
  return ((lead & 0x07) << 18) | ((byte(1) & 0x3F) << 12) |
         ((byte(2) & 0x3F) << 6) | (byte(3) & 0x3F);
}

void append(std::string &out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool isWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

namespace {
struct ByteMap {
  std::array<std::string, 256> characters;
  std::array<int, 324> bytes; // Characters up to U+0143.
  ByteMap() {
    bytes.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      char32_t c = printable ? static_cast<char32_t>(b) : next++;
      append(characters[b], c);
      bytes[c] = b;
    }
  }
};
const ByteMap &byteMap() {
  static const ByteMap map;
  return map;
}
} // namespace

const std::string &byteCharacter(unsigned char byte) {
  return byteMap().characters[byte];
}

int characterByte(char32_t c) {
  return c < byteMap().bytes.size() ? byteMap().bytes[c] : -1;
}

std::string normalize(std::string_view text, Form form) {
  switch (form) {
  case Form::NFC:
    return map(text, UTF8PROC_COMPOSE);
  case Form::NFD:
    return map(text, UTF8PROC_DECOMPOSE);
  case Form::NFKC:
    return map(text, UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  case Form::NFKD:
    return map(text, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  }
  return std::string(text);
}

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size(); at += charLength(text[at])) {
    char32_t c = codePoint(text, at);
    if (c == 0x130) { // The one unconditional full mapping: İ -> i̇.
      out += "i\xCC\x87";
      continue;
    }
    append(out, static_cast<char32_t>(
                    utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
  return out;
}

std::string stripAccents(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    size_t length = charLength(text[at]);
    if (utf8proc_category(static_cast<utf8proc_int32_t>(codePoint(text, at))) !=
        UTF8PROC_CATEGORY_MN)
      out.append(text.substr(at, length));
    at += length;
  }
  return out;
}

std::string lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t at = 0; at < bytes.size();) {
    int length = wellFormed(bytes, at);
    if (length > 0) {
      out.append(bytes.substr(at, length));
      at += length;
    } else {
      out += "\xEF\xBF\xBD";
      at += -length;
    }
  }
  return out;
}

} // namespace llmc::runtime::unicode
