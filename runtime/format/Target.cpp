//===- Target.cpp - what an artifact was compiled for ---------------------===//

#include "runtime/format/Target.h"

#include <algorithm>

namespace llmc::runtime {

std::string Target::archList() const {
  std::string list;
  for (int arch : cudaArchs)
    list += (list.empty() ? "sm_" : ", sm_") + std::to_string(arch);
  return list;
}

std::string Target::str() const {
  if (kind == Kind::cpu)
    return "cpu";
  std::string text = "cuda:";
  for (size_t i = 0; i < cudaArchs.size(); ++i)
    text += (i ? ",sm_" : "sm_") + std::to_string(cudaArchs[i]);
  return text;
}

namespace {

/// "sm_90" -> 90; -1 when it is not sm_ followed by two or three digits.
int parseArch(const std::string &name) {
  if (name.size() < 5 || name.size() > 6 || name.compare(0, 3, "sm_") != 0)
    return -1;
  int arch = 0;
  for (size_t i = 3; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9')
      return -1;
    arch = arch * 10 + (name[i] - '0');
  }
  return arch;
}

} // namespace

Expected<Target> parseTarget(const std::string &text) {
  Target target;
  if (text == "cpu")
    return target;
  const std::string cuda = "cuda:";
  if (text.compare(0, cuda.size(), cuda) != 0)
    return Status::error("unknown target '" + text +
                         "' (expected cpu or cuda:sm_XY[,sm_XY...], e.g. "
                         "cuda:sm_80,sm_90)");
  target.kind = Target::Kind::cuda;
  size_t start = cuda.size();
  while (true) {
    size_t comma = text.find(',', start);
    std::string name = text.substr(start, comma - start);
    int arch = parseArch(name);
    if (arch < 0)
      return Status::error("target '" + text + "': '" + name +
                           "' is not a CUDA architecture (write sm_ and the "
                           "compute capability, e.g. sm_90)");
    if (arch < kMinCudaArch)
      return Status::error("target '" + text + "': " + name +
                           " is older than llmc's CUDA kernels support (sm_" +
                           std::to_string(kMinCudaArch) + " and newer)");
    target.cudaArchs.push_back(arch);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  std::sort(target.cudaArchs.begin(), target.cudaArchs.end());
  target.cudaArchs.erase(
      std::unique(target.cudaArchs.begin(), target.cudaArchs.end()),
      target.cudaArchs.end());
  return target;
}

bool Target::runsOn(int device) const {
  for (int arch : cudaArchs)
    if (arch / 10 == device / 10 && arch % 10 <= device % 10)
      return true;
  return !cudaArchs.empty() && device >= cudaArchs.back();
}

} // namespace llmc::runtime
