//===- TargetTest.cpp - the manifest's target string ----------------------===//

#include "runtime/format/Target.h"

#include <gtest/gtest.h>

using namespace llmc::runtime;

TEST(Target, ParsesCpuAndCuda) {
  Expected<Target> cpu = parseTarget("cpu");
  ASSERT_TRUE(cpu) << cpu.status().message();
  EXPECT_EQ(cpu->kind, Target::Kind::cpu);
  EXPECT_EQ(cpu->str(), "cpu");

  // Sorted and without repeats, whatever order they were given in.
  Expected<Target> cuda = parseTarget("cuda:sm_90,sm_80,sm_90");
  ASSERT_TRUE(cuda) << cuda.status().message();
  EXPECT_EQ(cuda->kind, Target::Kind::cuda);
  EXPECT_EQ(cuda->cudaArchs, (std::vector<int>{80, 90}));
  EXPECT_EQ(cuda->str(), "cuda:sm_80,sm_90");
  EXPECT_EQ(cuda->archList(), "sm_80, sm_90");
  EXPECT_EQ(parseTarget("cuda:sm_120")->cudaArchs, std::vector<int>{120});
}

TEST(Target, RejectsWhatIsNotATarget) {
  for (const char *text :
       {"", "gpu", "cuda", "cuda:", "cuda:sm90", "cuda:sm_", "cuda:sm_9x",
        "cuda:sm_80,", "cuda:sm_1000", "CPU"}) {
    Expected<Target> target = parseTarget(text);
    EXPECT_FALSE(target) << "'" << text << "' parsed";
  }
  Expected<Target> old = parseTarget("cuda:sm_75");
  ASSERT_FALSE(old);
  EXPECT_EQ(old.status().message(),
            "target 'cuda:sm_75': sm_75 is older than llmc's CUDA kernels "
            "support (sm_80 and newer)");
}

TEST(Target, RunsOnItsArchitecturesTheirMinorsAndNewerThroughPtx) {
  Target target = *parseTarget("cuda:sm_80,sm_90");
  EXPECT_TRUE(target.runsOn(80));
  EXPECT_TRUE(target.runsOn(86)); // sm_80 machine code runs on 8.6
  EXPECT_TRUE(target.runsOn(89));
  EXPECT_TRUE(target.runsOn(90));
  EXPECT_TRUE(target.runsOn(100)); // the PTX of sm_90, compiled by the driver
  EXPECT_TRUE(target.runsOn(120));
  EXPECT_FALSE(target.runsOn(75));

  Target ada = *parseTarget("cuda:sm_89");
  EXPECT_FALSE(ada.runsOn(86)); // minor above the device's
  EXPECT_FALSE(ada.runsOn(80));
  EXPECT_TRUE(ada.runsOn(89));
  EXPECT_TRUE(ada.runsOn(90));
}
