//===- KernelContractTest.cpp - the kernel contract and the kernel tables -===//
//
// Every kernel the contract (runtime/format/KernelContract.cpp) declares has
// a CPU implementation, and both devices' tables name only declared
// kernels; a kernel's parameter lookup fails, naming kernel and parameter,
// on a missing, undeclared or mistyped parameter; the loader's check of a
// step takes the artifact's forms of each parameter type.
//
//===----------------------------------------------------------------------===//

#include "runtime/format/KernelContract.h"
#include "runtime/exec/Kernel.h"
#include "runtime/support/ThreadPool.h"
#ifdef LLMC_TEST_CUDA_TABLE
#include "runtime/cuda/CudaKernels.h"
#endif

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

using namespace llmc;
using runtime::Params;
using runtime::Status;

namespace {

TEST(KernelContract, EveryDeclaredKernelHasACpuImplementation) {
  ASSERT_FALSE(format::allKernels().empty());
  for (const format::KernelDecl *kernel : format::allKernels())
    EXPECT_NE(runtime::findCpuKernel(kernel->name), nullptr)
        << "kernel '" << kernel->name
        << "' is declared but runtime/cpu/KernelTable.cpp lacks it";
}

void expectDeclaredAndUnique(const std::vector<runtime::KernelEntry> &table,
                             const char *device) {
  std::set<std::string> seen;
  for (const runtime::KernelEntry &entry : table) {
    EXPECT_NE(format::findKernel(entry.name), nullptr)
        << device << " kernel '" << entry.name
        << "' is not declared in runtime/format/KernelContract.cpp";
    EXPECT_TRUE(seen.insert(entry.name).second)
        << device << " kernel '" << entry.name << "' is listed twice";
    EXPECT_NE(entry.run, nullptr) << entry.name;
  }
}

TEST(KernelContract, CpuTableNamesOnlyDeclaredKernels) {
  expectDeclaredAndUnique(runtime::cpuKernelTable(), "CPU");
  EXPECT_EQ(runtime::cpuKernelTable().size(), format::allKernels().size());
}

#ifdef LLMC_TEST_CUDA_TABLE
TEST(KernelContract, CudaTableNamesOnlyDeclaredKernels) {
  ASSERT_FALSE(runtime::cudaKernelTable().empty());
  expectDeclaredAndUnique(runtime::cudaKernelTable(), "CUDA");
}
#endif

TEST(KernelContract, DocsShowTheContract) {
  std::ifstream file(LLMC_SOURCE_DIR "/docs/plan.md");
  ASSERT_TRUE(file) << "cannot read docs/plan.md";
  std::stringstream text;
  text << file.rdbuf();
  std::string doc = text.str();
  const std::string begin = "<!-- kernel-contract begin -->\n",
                    end = "<!-- kernel-contract end -->";
  size_t from = doc.find(begin), to = doc.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  from += begin.size();
  EXPECT_EQ(doc.substr(from, to - from), format::describeContract())
      << "docs/plan.md's kernel contract table differs from "
         "runtime/format/KernelContract.cpp: paste describeContract()";
}

TEST(KernelContract, DeclarationsAreWellFormed) {
  std::set<std::string> names;
  for (const format::KernelDecl *kernel : format::allKernels()) {
    EXPECT_TRUE(names.insert(kernel->name).second) << kernel->name;
    int64_t min, max;
    kernel->resultRange(min, max);
    // send's effect is on another rank.
    if (std::string(kernel->name) != "send")
      EXPECT_GE(min, 1) << kernel->name << " gives no result";
    std::set<std::string> params;
    for (size_t i = 0; i < kernel->paramCount; ++i) {
      const format::ParamDecl &p = kernel->params[i];
      EXPECT_TRUE(params.insert(p.name).second)
          << kernel->name << " " << p.name;
      EXPECT_NE(std::string(p.doc), "") << kernel->name << " " << p.name;
      EXPECT_EQ(p.type == format::ParamType::enumeration,
                std::string(p.cases) != "")
          << kernel->name << " " << p.name;
      EXPECT_FALSE(p.type == format::ParamType::flag && p.required)
          << "a required flag is always set: " << kernel->name << " " << p.name;
    }
  }
}

TEST(KernelContract, OperandCounts) {
  const format::KernelDecl *linear = format::findKernel("linear");
  ASSERT_NE(linear, nullptr);
  int64_t min, max;
  linear->operandRange(min, max);
  EXPECT_EQ(min, 2);
  EXPECT_EQ(max, 3);
  EXPECT_TRUE(linear->mayBeAbsent(2));
  EXPECT_FALSE(linear->mayBeAbsent(1));
  const format::KernelDecl *concat = format::findKernel("concat");
  concat->operandRange(min, max);
  EXPECT_EQ(min, 1);
  EXPECT_EQ(max, -1);
  EXPECT_EQ(format::checkCall(*concat, 0, 1,
                              {{"axis", format::ParamValue::Form::integer}}),
            "kernel 'concat' takes at least 1 operands (inputs+), not 0");
  const format::KernelDecl *linears = format::findKernel("linears");
  EXPECT_EQ(format::checkCall(*linears, 7, 3, {}), "");
  EXPECT_EQ(format::checkCall(*linears, 4, 3, {}), "");
  EXPECT_NE(format::checkCall(*linears, 5, 3, {}), "");
}

Params normParams() { return Params(*format::findKernel("rms_norm")); }

TEST(KernelParams, MissingRequiredParameterNamesKernelAndParameter) {
  Params params = normParams();
  auto epsilon = params.real("epsilon");
  ASSERT_FALSE(epsilon);
  EXPECT_EQ(epsilon.status().message(),
            "kernel 'rms_norm': parameter 'epsilon' is missing");
  Status check = params.check(2, 1);
  ASSERT_FALSE(check);
  EXPECT_NE(check.message().find("kernel 'rms_norm' needs parameter "
                                 "'epsilon'"),
            std::string::npos)
      << check.message();
}

TEST(KernelParams, GivenParameterIsRead) {
  Params params = normParams();
  params.addFloats("epsilon", {1e-6});
  ASSERT_TRUE(params.check(2, 1)) << params.check(2, 1).message();
  auto epsilon = params.real("epsilon");
  ASSERT_TRUE(epsilon) << epsilon.status().message();
  EXPECT_EQ(*epsilon, 1e-6);
}

TEST(KernelParams, UndeclaredParameterIsAnError) {
  Params params = normParams();
  auto typo = params.real("eps");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.status().message(),
            "kernel 'rms_norm' declares no parameter 'eps'");
  auto flag = params.has("eps");
  ASSERT_FALSE(flag);
  params.addFloats("eps", {1e-6});
  params.addFloats("epsilon", {1e-6});
  Status check = params.check(2, 1);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.message(), "kernel 'rms_norm' has no parameter 'eps'");
}

TEST(KernelParams, MistypedParameterIsAnError) {
  Params params = normParams();
  params.addInts("epsilon", {1});
  Status check = params.check(2, 1);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.message(), "kernel 'rms_norm' parameter 'epsilon' must be "
                             "a float, not an integer list");
  auto asInteger = params.integer("epsilon");
  ASSERT_FALSE(asInteger);
  EXPECT_EQ(asInteger.status().message(),
            "kernel 'rms_norm': parameter 'epsilon' is not read as its "
            "declared type");
}

TEST(KernelParams, OptionalParameterAbsenceIsAskedNotDefaulted) {
  Params params(*format::findKernel("cached_attention"));
  params.addInts("layer", {0});
  params.addFloats("scale", {0.125});
  params.addInts("causal", {1});
  ASSERT_TRUE(params.check(5, 2));
  auto windowed = params.has("window");
  ASSERT_TRUE(windowed);
  EXPECT_FALSE(*windowed);
  auto window = params.integer("window");
  ASSERT_FALSE(window);
  EXPECT_EQ(window.status().message(),
            "kernel 'cached_attention': parameter 'window' is missing");
  auto causal = params.has("causal");
  ASSERT_TRUE(causal);
  EXPECT_TRUE(*causal);
}

TEST(KernelParams, EnumerationOutOfRangeAndFlagNotOne) {
  Params rope(*format::findKernel("rope"));
  rope.addInts("mode", {2});
  Status check = rope.check(4, 1);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.message(), "kernel 'rope' parameter 'mode' is 2, not a "
                             "case of interleaved|half");
  Params gelu(*format::findKernel("gelu"));
  gelu.addInts("tanh", {0});
  EXPECT_FALSE(gelu.check(1, 1));
}

TEST(KernelScratch, PiecesAreAlignedAndBoundedByThePlan) {
  Params params(*format::findKernel("gated_mlp"));
  runtime::ThreadPool pool(1);
  alignas(64) uint8_t arena[256];
  runtime::KernelContext c{params, {}, {}, {}, {}, pool};
  c.scratch = arena;
  c.scratchBytes = sizeof(arena);
  auto first = c.takeScratch(100);
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_EQ(*first, arena);
  auto second = c.takeScratch(64);
  ASSERT_TRUE(second) << second.status().message();
  EXPECT_EQ(*second, arena + 128);
  auto third = c.takeScratch(65);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.status().message().substr(0, 64),
            "kernel 'gated_mlp' needs 320 bytes of scratch, 256 were planned ");
}

TEST(KernelScratch, GatedMlpRuleCountsItsBuffers) {
  const format::KernelDecl &mlp = *format::findKernel("gated_mlp");
  ASSERT_NE(mlp.scratchBytes, nullptr);
  format::CallShapes call{{{2, 3, 8}, {32, 8}, {32, 8}, {8, 32}}, {}};
  // act(gate x) and up x: 6 rows x 32 features x 4 bytes each.
  EXPECT_EQ(mlp.scratchBytes(call), 2 * 768);
  // Rounded to fp8 first: x (48 floats, 192 bytes) and the hidden (768).
  call.params = {"llmc.fp8_act_dynamic", "llmc.fp8_hidden_act_dynamic"};
  EXPECT_EQ(mlp.scratchBytes(call), 2 * 768 + 192 + 768);
}

} // namespace
