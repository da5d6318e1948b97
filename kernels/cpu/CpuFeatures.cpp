//===- CpuFeatures.cpp - instruction sets the CPU kernels may use ---------===//

#include "kernels/cpu/CpuFeatures.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace llmc::kernels {

static CpuFeatures detect() {
  CpuFeatures features;
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's checks include the OS having enabled the register state (XCR0).
  __builtin_cpu_init();
  features.avx2 = __builtin_cpu_supports("avx2");
  features.fma = __builtin_cpu_supports("fma");
  features.f16c = __builtin_cpu_supports("f16c");
  features.avx512f = __builtin_cpu_supports("avx512f");
  features.avx512bw = __builtin_cpu_supports("avx512bw");
  features.avx512vl = __builtin_cpu_supports("avx512vl");
  features.avx512vnni = __builtin_cpu_supports("avx512vnni");
  features.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return features;
}

const CpuFeatures &hostCpuFeatures() {
  static const CpuFeatures features = detect();
  return features;
}

std::string describe(const CpuFeatures &features) {
  std::string result;
  auto add = [&](bool present, const char *name) {
    if (!present)
      return;
    if (!result.empty())
      result += ' ';
    result += name;
  };
  add(features.avx2, "avx2");
  add(features.fma, "fma");
  add(features.f16c, "f16c");
  add(features.avx512f, "avx512f");
  add(features.avx512bw, "avx512bw");
  add(features.avx512vl, "avx512vl");
  add(features.avx512vnni, "avx512_vnni");
  add(features.avx512bf16, "avx512_bf16");
  return result;
}

bool cpuHas(CpuIsa isa) {
  const CpuFeatures &cpu = hostCpuFeatures();
  switch (isa) {
  case CpuIsa::scalar:
    return true;
  case CpuIsa::avx2:
    return cpu.avx2 && cpu.fma;
  case CpuIsa::avx512:
    return cpu.avx512f;
  }
  return false;
}

std::optional<CpuIsa> parseCpuIsa(std::string_view name) {
  if (name == "scalar")
    return CpuIsa::scalar;
  if (name == "avx2")
    return CpuIsa::avx2;
  if (name == "avx512")
    return CpuIsa::avx512;
  return std::nullopt;
}

CpuIsa widestCpuIsa(const char *cap) {
  CpuIsa widest = cpuHas(CpuIsa::avx512) ? CpuIsa::avx512
                  : cpuHas(CpuIsa::avx2) ? CpuIsa::avx2
                                         : CpuIsa::scalar;
  if (!cap || !*cap)
    return widest;
  std::optional<CpuIsa> asked = parseCpuIsa(cap);
  if (!asked) {
    std::fprintf(stderr,
                 "llmc: ignoring LLMC_CPU_ISA=%s (scalar, avx2 or avx512)\n",
                 cap);
    return widest;
  }
  return std::min(*asked, widest);
}

CpuIsa selectedCpuIsa() {
  static const CpuIsa isa = widestCpuIsa(std::getenv("LLMC_CPU_ISA"));
  return isa;
}

bool roundsDecodeActivations(const char *setting) {
  if (!setting || !*setting || std::string_view(setting) == "int8")
    return true;
  if (std::string_view(setting) == "exact")
    return false;
  std::fprintf(stderr,
               "llmc: ignoring LLMC_CPU_ACTIVATIONS=%s (int8 or exact)\n",
               setting);
  return true;
}

bool selectedDecodeActivationsRounded() {
  static const bool rounded =
      roundsDecodeActivations(std::getenv("LLMC_CPU_ACTIVATIONS"));
  return rounded;
}

} // namespace llmc::kernels
