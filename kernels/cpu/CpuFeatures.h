//===- CpuFeatures.h - instruction sets the CPU kernels may use -----------===//
//
// CPU kernels are built for several ISAs and pick one at run time from these
// flags (never at build time: the artifact may run on another machine).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CPU_CPUFEATURES_H
#define LLMC_KERNELS_CPU_CPUFEATURES_H

#include <optional>
#include <string>
#include <string_view>

namespace llmc::kernels {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
};

/// What this CPU and OS support, detected once.
const CpuFeatures &hostCpuFeatures();

/// The instruction sets the kernels have paths for, each chosen at run time.
enum class CpuIsa { scalar, avx2, avx512 };

/// Whether this CPU runs `isa`'s paths (AVX2 counts with FMA).
bool cpuHas(CpuIsa isa);
/// "scalar", "avx2" or "avx512".
std::optional<CpuIsa> parseCpuIsa(std::string_view name);
/// The widest of them this CPU runs, capped by `cap` (a name as above;
/// null or empty for none, anything else is reported and ignored).
CpuIsa widestCpuIsa(const char *cap);
/// What the kernels use: widestCpuIsa(LLMC_CPU_ISA), chosen once. Setting
/// LLMC_CPU_ISA=avx2 runs an AVX-512 machine on the AVX2 paths, for
/// benchmarks of the machines most users have.
CpuIsa selectedCpuIsa();

/// Whether decode rows of int8 and int4 weights meet activations rounded
/// to int8 (integer dot products, QuantGemvInt8.h; the default) or exact
/// ones (the float path), as `setting` says: "int8" or "exact" (null or
/// empty: int8; anything else is reported and ignored).
bool roundsDecodeActivations(const char *setting);
/// roundsDecodeActivations(LLMC_CPU_ACTIVATIONS), chosen once.
bool selectedDecodeActivationsRounded();

/// The supported features as space-separated lower-case names, as
/// /proc/cpuinfo spells them ("avx2 fma f16c ...").
std::string describe(const CpuFeatures &features);

} // namespace llmc::kernels

#endif // LLMC_KERNELS_CPU_CPUFEATURES_H
