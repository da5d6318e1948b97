//===- CompletionTextTest.cpp - streamed text against whole decoding ------===//
//
// A completion's text released token by token (runtime/serve) must join
// into what SentencePiece decodes from all the ids at once, cut before the
// first stop string; no piece may hold half a character or the start of a
// stop string that later completes.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/CompletionText.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace llmc::runtime;

namespace {

const std::string kTokenizer =
    std::string(LLMC_SHARED_MODELS_DIR) + "/fortunes3m.tokenizer.model";

bool exists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

/// The deltas of `text`'s ids fed one token at a time.
std::vector<std::string> stream(const Tokenizer &tokenizer,
                                const std::vector<int64_t> &ids,
                                CompletionText &completion) {
  std::vector<std::string> deltas;
  for (size_t n = 1; n <= ids.size() && !completion.stopped(); ++n) {
    Expected<std::string> delta = completion.update(
        std::vector<int64_t>(ids.begin(), ids.begin() + n), n == ids.size());
    EXPECT_TRUE(delta.ok()) << delta.status().message();
    deltas.push_back(*delta);
  }
  return deltas;
}

std::string joined(const std::vector<std::string> &deltas) {
  std::string all;
  for (const std::string &d : deltas)
    all += d;
  return all;
}

TEST(CompletionText, JoinsIntoTheWholeDecodingWithoutHalfCharacters) {
  if (!exists(kTokenizer))
    GTEST_SKIP() << "no ../shared/models beside the checkout";
  Expected<Tokenizer> tokenizer = Tokenizer::load(kTokenizer);
  ASSERT_TRUE(tokenizer.ok());
  const std::string text = "Caf\xC3\xA9 \xE2\x98\x95 and \xF0\x9F\x8E\x89 at "
                           "the end of the day.";
  Expected<std::vector<int64_t>> ids = tokenizer->encode(text);
  ASSERT_TRUE(ids.ok());
  Expected<std::string> whole = tokenizer->decode(*ids);
  ASSERT_TRUE(whole.ok());
  CompletionText completion(*tokenizer, {});
  std::vector<std::string> deltas = stream(*tokenizer, *ids, completion);
  EXPECT_EQ(joined(deltas), *whole);
  EXPECT_FALSE(completion.stopped());
  for (const std::string &delta : deltas)
    EXPECT_EQ(delta.find("\xEF\xBF\xBD"), std::string::npos)
        << "a delta holds U+FFFD: " << delta;
  // More ids than pieces: some characters came in several byte tokens.
  EXPECT_GT(ids->size(), 9u);
}

TEST(CompletionText, EndsBeforeTheFirstStopStringHeldBackWhilePartial) {
  if (!exists(kTokenizer))
    GTEST_SKIP() << "no ../shared/models beside the checkout";
  Expected<Tokenizer> tokenizer = Tokenizer::load(kTokenizer);
  ASSERT_TRUE(tokenizer.ok());
  Expected<std::vector<int64_t>> ids =
      tokenizer->encode("Time flies like an arrow; fruit flies like a banana.");
  ASSERT_TRUE(ids.ok());
  Expected<std::string> whole = tokenizer->decode(*ids);
  ASSERT_TRUE(whole.ok());
  const std::string expected = whole->substr(0, whole->find("fruit"));
  CompletionText completion(*tokenizer, {"banana", "fruit fl", "zebra"});
  std::vector<std::string> deltas = stream(*tokenizer, *ids, completion);
  EXPECT_TRUE(completion.stopped());
  EXPECT_EQ(joined(deltas), expected);
  EXPECT_EQ(completion.text(), expected);
  // Every prefix released was a prefix of the final text: nothing of
  // "fruit" went out before the stop was known.
  std::string released;
  for (const std::string &delta : deltas) {
    released += delta;
    EXPECT_EQ(expected.compare(0, released.size(), released), 0) << released;
  }
  // Stopped: later tokens release nothing.
  Expected<std::string> after = completion.update(*ids, true);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, "");
}

TEST(CompletionText, ReleasesAPartialStopWhenTheTextEnds) {
  if (!exists(kTokenizer))
    GTEST_SKIP() << "no ../shared/models beside the checkout";
  Expected<Tokenizer> tokenizer = Tokenizer::load(kTokenizer);
  ASSERT_TRUE(tokenizer.ok());
  Expected<std::vector<int64_t>> ids = tokenizer->encode("It ends with ban");
  ASSERT_TRUE(ids.ok());
  Expected<std::string> whole = tokenizer->decode(*ids);
  ASSERT_TRUE(whole.ok());
  CompletionText completion(*tokenizer, {"banana"});
  std::vector<std::string> deltas = stream(*tokenizer, *ids, completion);
  EXPECT_FALSE(completion.stopped());
  EXPECT_EQ(joined(deltas), *whole);
  // "ban" was held back until the last update said the text ended.
  EXPECT_NE(deltas.back().find("ban"), std::string::npos) << deltas.back();
}

} // namespace
