//===- Version.h - what every tool's --version says -----------------------===//
//
// llmc's version (CMake's project version) and the artifact format version
// the tools write and read (kArtifactFormatVersion).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_VERSION_H
#define LLMC_RUNTIME_FORMAT_VERSION_H

#include <string>

namespace llmc::runtime {

/// "0.1": the project's version.
const char *llmcVersion();
/// "`tool` 0.1 (artifact format 1)".
std::string versionLine(const std::string &tool);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_FORMAT_VERSION_H
