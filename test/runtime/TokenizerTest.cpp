//===- TokenizerTest.cpp - SentencePiece against the shipped goldens ------===//
//
// fortunes3m.golden.json was computed with the model's own tokenizer in
// Python: each case's prompt_ids are BOS + the encoded text, and
// greedy_text_until_eos is the decoded text of greedy_ids up to EOS.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sys/stat.h>

using namespace llmc::runtime;

namespace {

const std::string kModels = LLMC_SHARED_MODELS_DIR;

bool exists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

Tokenizer load(const std::string &name) {
  Expected<Tokenizer> tokenizer = Tokenizer::load(kModels + "/" + name);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  return std::move(tokenizer.value());
}

TEST(Tokenizer, Fortunes3mMatchesTheGoldenCases) {
  std::string golden = kModels + "/fortunes3m.golden.json";
  if (!exists(golden))
    GTEST_SKIP() << "no ../shared/models beside the checkout";
  nlohmann::json cases = nlohmann::json::parse(std::ifstream(golden));
  Tokenizer tokenizer = load("fortunes3m.tokenizer.model");
  EXPECT_EQ(tokenizer.vocabSize(), cases["config"]["vocab"].get<int64_t>());
  EXPECT_EQ(tokenizer.bosId(), cases["bos"].get<int64_t>());
  EXPECT_EQ(tokenizer.eosId(), cases["eos"].get<int64_t>());
  ASSERT_FALSE(cases["cases"].empty());
  for (const nlohmann::json &c : cases["cases"]) {
    std::string text = c["text"];
    Expected<std::vector<int64_t>> ids = tokenizer.encode(text);
    ASSERT_TRUE(ids.ok()) << ids.status().message();
    ids->insert(ids->begin(), tokenizer.bosId());
    EXPECT_EQ(*ids, c["prompt_ids"].get<std::vector<int64_t>>()) << text;
    std::vector<int64_t> generated;
    for (int64_t id : c["greedy_ids"].get<std::vector<int64_t>>()) {
      if (id == tokenizer.eosId())
        break;
      generated.push_back(id);
    }
    Expected<std::string> decoded = tokenizer.decode(generated);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(*decoded, c["greedy_text_until_eos"].get<std::string>()) << text;
  }
}

TEST(Tokenizer, Llama2RoundTripsTextWithByteFallback) {
  if (!exists(kModels + "/llama2-tokenizer.model"))
    GTEST_SKIP() << "no ../shared/models beside the checkout";
  Tokenizer tokenizer = load("llama2-tokenizer.model");
  EXPECT_EQ(tokenizer.vocabSize(), 32000);
  EXPECT_EQ(tokenizer.bosId(), 1);
  EXPECT_EQ(tokenizer.eosId(), 2);
  // Characters outside the vocabulary go through byte tokens and back.
  std::string text = "Grüße, 世界! \xF0\x9F\xA6\x99 tokens";
  Expected<std::vector<int64_t>> ids = tokenizer.encode(text);
  ASSERT_TRUE(ids.ok());
  EXPECT_GT(ids->size(), 5u);
  Expected<std::string> back = tokenizer.decode(*ids);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, text);
}

TEST(Tokenizer, ReportsBadFilesAndIds) {
  Expected<Tokenizer> missing = Tokenizer::load("/nonexistent/tok.model");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(
                "/nonexistent/tok.model: cannot read it (No such file or "
                "directory)"),
            std::string::npos);
  if (!exists(kModels + "/fortunes3m.tokenizer.model"))
    GTEST_SKIP() << "no ../shared/models beside the checkout";
  Tokenizer tokenizer = load("fortunes3m.tokenizer.model");
  Expected<std::string> text = tokenizer.decode({5, 2048});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(
      text.status().message().find("token id 2048 is outside the vocabulary"),
      std::string::npos);
}

} // namespace
