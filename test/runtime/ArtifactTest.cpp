//===- ArtifactTest.cpp - the .llmc file: round trip and damaged files ----===//

#include "runtime/format/Artifact.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <unistd.h>
#include <vector>

using namespace llmc::runtime;

namespace {

/// A fresh folder per test, removed with what is in it.
class ArtifactTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/llmc-artifact-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/model.llmc";
    weights_.resize(1000);
    std::iota(weights_.begin(), weights_.end(), 0.5f);
    plan_ = {1, 2, 3};
  }
  void TearDown() override {
    for (const std::string &name : files())
      std::remove((dir_ + "/" + name).c_str());
    ::rmdir(dir_.c_str());
  }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    if (DIR *d = ::opendir(dir_.c_str())) {
      while (dirent *entry = ::readdir(d))
        if (std::string(entry->d_name) != "." &&
            std::string(entry->d_name) != "..")
          names.push_back(entry->d_name);
      ::closedir(d);
    }
    return names;
  }

  Status writeSample(const std::string &path) {
    ModelInfo model;
    model.vocabSize = 512;
    model.bosId = 1;
    model.eosIds = {2};
    model.maxSeq = 256;
    ArtifactWriter writer("llmc test", "cpu", model);
    if (Status s = writer.addSection("weights", weights_.data(),
                                     weights_.size() * sizeof(float));
        !s)
      return s;
    if (Status s = writer.addSection("plan", plan_.data(), plan_.size()); !s)
      return s;
    return writer.write(path);
  }

  std::vector<char> read() const {
    std::ifstream in(path_, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
  }
  void overwrite(const std::vector<char> &bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string openError() const {
    Expected<Artifact> artifact = Artifact::open(path_);
    EXPECT_FALSE(artifact.ok());
    return artifact.ok() ? "" : artifact.status().message();
  }

  std::string dir_, path_;
  std::vector<float> weights_;
  std::vector<uint8_t> plan_;
};

TEST_F(ArtifactTest, RoundTripsMetadataAndAlignedSections) {
  ASSERT_TRUE(writeSample(path_).ok());
  EXPECT_EQ(files(), std::vector<std::string>{"model.llmc"});
  Expected<Artifact> artifact = Artifact::open(path_);
  ASSERT_TRUE(artifact.ok()) << artifact.status().message();
  EXPECT_EQ(artifact->formatVersion(), kArtifactFormatVersion);
  EXPECT_EQ(artifact->producer(), "llmc test");
  EXPECT_EQ(artifact->target(), "cpu");
  EXPECT_EQ(artifact->model().vocabSize, 512);
  EXPECT_EQ(artifact->model().bosId, 1);
  EXPECT_EQ(artifact->model().eosIds, std::vector<int64_t>{2});
  EXPECT_EQ(artifact->model().maxSeq, 256);
  EXPECT_EQ(artifact->sectionNames(),
            (std::vector<std::string>{"weights", "plan"}));
  Expected<Bytes> weights = artifact->section("weights");
  ASSERT_TRUE(weights.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(weights->data) % kArtifactAlignment,
            0u);
  ASSERT_EQ(weights->size, weights_.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(weights->data, weights_.data(), weights->size), 0);
  Expected<Bytes> plan = artifact->section("plan");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(plan->data) % kArtifactAlignment, 0u);
  EXPECT_EQ(std::vector<uint8_t>(plan->data, plan->data + plan->size), plan_);
  Expected<Bytes> missing = artifact->section("tokenizer");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "the artifact has no section 'tokenizer'");
}

TEST_F(ArtifactTest, RejectsATruncatedFile) {
  ASSERT_TRUE(writeSample(path_).ok());
  std::vector<char> bytes = read();
  bytes.resize(bytes.size() - 10);
  overwrite(bytes);
  EXPECT_NE(openError().find("truncated or extended: the header says"),
            std::string::npos);
  bytes.resize(20);
  overwrite(bytes);
  EXPECT_NE(openError().find("shorter than the 64-byte header"),
            std::string::npos);
}

TEST_F(ArtifactTest, RejectsOneFlippedBitInAWeightSection) {
  ASSERT_TRUE(writeSample(path_).ok());
  std::vector<char> bytes = read();
  bytes[64 + 123] ^= 0x10; // the weights start at the first aligned offset
  overwrite(bytes);
  EXPECT_EQ(openError(),
            path_ + ": section 'weights' checksum mismatch: the file is "
                    "corrupted");
}

TEST_F(ArtifactTest, ChecksASectionOnItsFirstReadWhenAsked) {
  // A rank of a sharded run: the flipped section opens, and is refused
  // when it is read, every time.
  ASSERT_TRUE(writeSample(path_).ok());
  std::vector<char> bytes = read();
  bytes[64 + 123] ^= 0x10;
  overwrite(bytes);
  Expected<Artifact> artifact =
      Artifact::open(path_, SectionChecks::onFirstRead);
  ASSERT_TRUE(artifact.ok()) << artifact.status().message();
  for (int i = 0; i < 2; ++i) {
    Expected<Bytes> weights = artifact->section("weights");
    ASSERT_FALSE(weights.ok());
    EXPECT_EQ(weights.status().message(),
              path_ + ": section 'weights' checksum mismatch: the file is "
                      "corrupted");
  }
  EXPECT_TRUE(artifact->section("plan").ok());
}

TEST_F(ArtifactTest, RejectsAForeignFile) {
  std::vector<char> text(200, 'x');
  overwrite(text);
  EXPECT_EQ(openError(), path_ + ": not an llmc artifact (bad magic)");
}

TEST_F(ArtifactTest, RejectsANewerFormatVersion) {
  ASSERT_TRUE(writeSample(path_).ok());
  std::vector<char> bytes = read();
  bytes[8] = static_cast<char>(kArtifactFormatVersion + 1);
  overwrite(bytes);
  EXPECT_EQ(openError(), path_ + ": format version " +
                             std::to_string(kArtifactFormatVersion + 1) +
                             " is newer than this llmc reads (" +
                             std::to_string(kArtifactFormatVersion) +
                             "): update llmc or recompile the model");
}

TEST_F(ArtifactTest, RejectsADamagedManifest) {
  ASSERT_TRUE(writeSample(path_).ok());
  std::vector<char> bytes = read();
  bytes[bytes.size() - 5] ^= 0x01; // inside the manifest, at the end
  overwrite(bytes);
  EXPECT_EQ(openError(),
            path_ + ": manifest checksum mismatch: the file is corrupted");
}

TEST_F(ArtifactTest, ReportsAMissingFile) {
  Expected<Artifact> artifact = Artifact::open(dir_ + "/nowhere.llmc");
  ASSERT_FALSE(artifact.ok());
  EXPECT_EQ(artifact.status().message(),
            dir_ + "/nowhere.llmc: cannot open: No such file or directory");
}

TEST_F(ArtifactTest, ReplacesAnExistingArtifactWholly) {
  {
    std::ofstream old(path_, std::ios::binary);
    old << "an older, longer file that must disappear entirely";
  }
  ASSERT_TRUE(writeSample(path_).ok());
  EXPECT_EQ(files(), std::vector<std::string>{"model.llmc"});
  Expected<Artifact> artifact = Artifact::open(path_);
  ASSERT_TRUE(artifact.ok()) << artifact.status().message();
  EXPECT_EQ(artifact->model().vocabSize, 512);
}

TEST_F(ArtifactTest, FailedWriteLeavesNoFileBehind) {
  std::string unwritable = dir_ + "/no-such-folder/model.llmc";
  Status status = writeSample(unwritable);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot write"), std::string::npos);
  EXPECT_TRUE(files().empty());
}

TEST_F(ArtifactTest, RejectsDuplicateSectionNames) {
  ArtifactWriter writer("llmc test", "cpu", ModelInfo());
  ASSERT_TRUE(writer.addSection("w", plan_.data(), plan_.size()).ok());
  Status again = writer.addSection("w", plan_.data(), plan_.size());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.message(), "section 'w' is added twice");
}

} // namespace
