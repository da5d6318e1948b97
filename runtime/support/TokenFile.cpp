//===- TokenFile.cpp - token-id sequences in a text file ------------------===//

#include "runtime/support/TokenFile.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>

namespace llmc::runtime {

Expected<TokenSequences> readTokenFile(const std::string &path) {
  std::ifstream file(path);
  if (!file)
    return Status::error("cannot read token file " + path);
  TokenSequences sequences;
  std::string line;
  for (int64_t number = 1; std::getline(file, line); ++number) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#')
      continue;
    std::vector<int64_t> ids;
    size_t at = first;
    while (at < line.size()) {
      size_t end = line.find_first_of(" \t\r,", at);
      std::string word = line.substr(
          at, end == std::string::npos ? std::string::npos : end - at);
      if (!word.empty()) {
        char *rest = nullptr;
        errno = 0;
        long long id = std::strtoll(word.c_str(), &rest, 10);
        if (*rest != '\0' || errno != 0 || id < 0)
          return Status::error(path + ":" + std::to_string(number) + ": '" +
                               word + "' is not a token id");
        ids.push_back(id);
      }
      if (end == std::string::npos)
        break;
      at = end + 1;
    }
    if (!ids.empty())
      sequences.push_back(std::move(ids));
  }
  if (sequences.empty())
    return Status::error(path + " holds no token sequence");
  return sequences;
}

std::vector<std::string> textPassages(const std::string &text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find("\n\n", begin);
    std::string piece =
        text.substr(begin, end == std::string::npos ? end : end - begin);
    if (piece.find_first_not_of(" \t\r\n") != std::string::npos)
      out.push_back(piece);
    if (end == std::string::npos)
      break;
    begin = end + 2;
  }
  return out;
}

} // namespace llmc::runtime
