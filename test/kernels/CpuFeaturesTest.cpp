//===- CpuFeaturesTest.cpp - ISA detection agrees with the kernel ---------===//
//
// The reference is Linux's own view of the CPU, /proc/cpuinfo's flags line.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuFeatures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

static std::set<std::string> readCpuinfoFlags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0)
      continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string flag; words >> flag;)
      flags.insert(flag);
    return flags;
  }
  return {};
}

TEST(CpuFeatures, MatchesProcCpuinfo) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "x86-64 only";
#endif
  std::set<std::string> flags = readCpuinfoFlags();
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const llmc::kernels::CpuFeatures &features = llmc::kernels::hostCpuFeatures();
  EXPECT_EQ(features.avx2, flags.count("avx2") == 1);
  EXPECT_EQ(features.fma, flags.count("fma") == 1);
  EXPECT_EQ(features.f16c, flags.count("f16c") == 1);
  EXPECT_EQ(features.avx512f, flags.count("avx512f") == 1);
  EXPECT_EQ(features.avx512bw, flags.count("avx512bw") == 1);
  EXPECT_EQ(features.avx512vl, flags.count("avx512vl") == 1);
  EXPECT_EQ(features.avx512vnni, flags.count("avx512_vnni") == 1);
  EXPECT_EQ(features.avx512bf16, flags.count("avx512_bf16") == 1);
}

TEST(CpuFeatures, DescribeUsesCpuinfoNames) {
  llmc::kernels::CpuFeatures features;
  EXPECT_EQ(describe(features), "");
  features.avx2 = true;
  features.avx512vnni = true;
  EXPECT_EQ(describe(features), "avx2 avx512_vnni");
}

TEST(CpuFeatures, AnIsaCapNarrowsTheChoiceNeverWidensIt) {
  using llmc::kernels::CpuIsa;
  using llmc::kernels::widestCpuIsa;
  const CpuIsa widest = widestCpuIsa(nullptr);
  EXPECT_EQ(widestCpuIsa(""), widest);
  EXPECT_EQ(widestCpuIsa("scalar"), CpuIsa::scalar);
  EXPECT_EQ(widestCpuIsa("avx2"), std::min(widest, CpuIsa::avx2));
  EXPECT_EQ(widestCpuIsa("avx512"), widest);
  EXPECT_EQ(widestCpuIsa("sse9"), widest); // reported, then ignored
  EXPECT_EQ(llmc::kernels::parseCpuIsa("AVX2"), std::nullopt);
}

TEST(CpuFeatures, DecodeActivationsAreRoundedUnlessAskedExact) {
  using llmc::kernels::roundsDecodeActivations;
  EXPECT_TRUE(roundsDecodeActivations(nullptr));
  EXPECT_TRUE(roundsDecodeActivations(""));
  EXPECT_TRUE(roundsDecodeActivations("int8"));
  EXPECT_FALSE(roundsDecodeActivations("exact"));
  EXPECT_TRUE(roundsDecodeActivations("Exact")); // reported, then ignored
}
