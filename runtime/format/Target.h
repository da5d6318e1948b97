//===- Target.h - what an artifact was compiled for -----------------------===//
//
// The manifest's `target` string: "cpu", or "cuda:" and the GPU
// architectures its kernels were built for ("cuda:sm_80,sm_90"). The
// compiler parses `llmc compile --target` with this, and the runtime parses
// the manifest with it to decide whether a device can run the artifact.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_TARGET_H
#define LLMC_RUNTIME_FORMAT_TARGET_H

#include "runtime/format/Status.h"

#include <string>
#include <vector>

namespace llmc::runtime {

struct Target {
  enum class Kind { cpu, cuda };
  Kind kind = Kind::cpu;
  /// CUDA compute capabilities as major * 10 + minor (sm_90 is 90), in
  /// ascending order without repeats.
  std::vector<int> cudaArchs;

  /// The manifest string: "cpu" or "cuda:sm_80,sm_90".
  std::string str() const;
  /// "sm_80, sm_90".
  std::string archList() const;

  /// Whether a GPU of compute capability `device` (major * 10 + minor) runs
  /// the artifact's generated kernels: machine code of an architecture with
  /// the device's major version and a minor not above it, or else the PTX
  /// of the newest architecture, which the driver compiles for newer GPUs.
  bool runsOn(int device) const;
};

/// The oldest architecture llmc's CUDA kernels are written for (Ampere:
/// bf16, cp.async).
inline constexpr int kMinCudaArch = 80;

/// Parses "cpu" or "cuda:sm_XY[,sm_XY...]"; the error says what is wrong.
Expected<Target> parseTarget(const std::string &text);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_FORMAT_TARGET_H
