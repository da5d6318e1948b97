//===- Version.cpp - what every tool's --version says ---------------------===//

#include "runtime/format/Version.h"

#include "runtime/format/Artifact.h"

namespace llmc::runtime {

const char *llmcVersion() { return LLMC_VERSION_TEXT; }

std::string versionLine(const std::string &tool) {
  return tool + " " + llmcVersion() + " (artifact format " +
         std::to_string(kArtifactFormatVersion) + ")";
}

} // namespace llmc::runtime
