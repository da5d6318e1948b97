//===- TokenFile.h - token-id sequences in a text file --------------------===//
//
// One sequence per line, its ids separated by spaces or commas; blank lines
// and lines starting with '#' are skipped. llmc-run eval reads evaluation
// sequences this way and llmc compile --calib calibration sequences.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SUPPORT_TOKENFILE_H
#define LLMC_RUNTIME_SUPPORT_TOKENFILE_H

#include "runtime/format/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llmc::runtime {

using TokenSequences = std::vector<std::vector<int64_t>>;

/// The sequences of `path`; an error names the line and the text that is
/// not a non-negative id, and an empty file is an error.
Expected<TokenSequences> readTokenFile(const std::string &path);

/// The passages of `text`: the pieces between "\n\n" separators, as they
/// are (the last keeps the file's final newline), skipping blank ones.
std::vector<std::string> textPassages(const std::string &text);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SUPPORT_TOKENFILE_H
