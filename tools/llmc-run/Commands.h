//===- Commands.h - the llmc-run subcommands ------------------------------===//

#ifndef LLMC_TOOLS_LLMC_RUN_COMMANDS_H
#define LLMC_TOOLS_LLMC_RUN_COMMANDS_H

#include "runtime/generate/Session.h"
#include "runtime/sampler/Sampler.h"
#include "runtime/support/Clock.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llmc::run {

struct CommonOptions {
  std::string artifact;
  unsigned threads = 0;
  bool json = false;
  /// No progress lines (runtime::Progress).
  bool quiet = false;
  /// Run every decode step's kernels instead of replaying CUDA graphs.
  bool noCudaGraphs = false;
  /// "auto" (the artifact's target) or "cpu-staged".
  std::string device = "auto";
  /// A paged KV cache's pool in bytes (0: the batch's sequences at
  /// max_seq).
  uint64_t kvMemory = 0;

  runtime::SessionOptions session() const { return {kvMemory}; }
};

struct GenerateOptions {
  std::vector<int64_t> promptIds;
  std::string prompt, tokenizer;
  /// Prompts of token ids, one per line, generated as one batch.
  std::string promptsFile;
  /// "auto" (the artifact's draft when it has one), "on" or "off".
  std::string speculative = "auto";
  /// Drafted tokens per verify call (-1: the default, 4 or the artifact's
  /// most).
  int64_t draftTokens = -1;
  int64_t maxTokens = 128;
  runtime::SamplingParams sampling;
  std::vector<int64_t> stopIds;
  bool ignoreEos = false;
  /// --json: when each token came (ms from the start).
  bool timeline = false;
};

struct ChatOptions {
  std::string tokenizer, system;
  int64_t maxTokens = 512;
  runtime::SamplingParams sampling;
  /// Texts that end an answer (not shown).
  std::vector<std::string> stops;
  /// Answers go on past EOS (to --max-tokens or the context's end).
  bool ignoreEos = false;
};

struct EvalOptions {
  /// A text and its tokenizer, or a token-id file.
  std::string textFile, tokenizer, idsFile;
  /// An artifact to compare the next-token distributions with.
  std::string reference;
  /// Score token by token through decode steps.
  bool incremental = false;
  /// Score every sequence as one stream, the first token of each
  /// unscored.
  bool stream = false;
};

struct LogitsOptions {
  std::vector<int64_t> promptIds;
  /// Sequences of token ids, one per line (instead of promptIds).
  std::string promptsFile;
  int64_t batch = 1;
  bool incremental = false;
};

struct RunOptions {
  std::string entry = "main";
  std::vector<std::string> inputs;
  std::string outputDir = ".";
};

struct BenchOptions {
  std::vector<int64_t> promptLengths = {128};
  std::vector<int64_t> batches = {1};
  int64_t gen = 128;
  int64_t repeat = 3;
  std::string jsonPath;
  bool profile = false;
  /// Also speculative decoding with the artifact's draft, taking turns.
  bool speculative = false;
  /// Prefix caching instead (PrefixBench.cpp): `requests` prompts that
  /// share their first `sharedPrefix` tokens, one after another.
  int64_t sharedPrefix = 0, requests = 8;
};

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  /// Requests running at once (0: the artifact's max_batch).
  int64_t maxBatch = 0;
  int64_t maxQueue = 64;
  int64_t stepTokens = 256;
  bool noChunkedPrefill = false;
  /// Speculative decoding's drafted tokens per request and step (-1: 2,
  /// or none without a draft; 0: none).
  int64_t draftTokens = -1;
  std::string apiKey, modelName;
  uint64_t maxBody = uint64_t(1) << 20;
};

/// Each returns the process exit code, having printed any error.
int generate(const CommonOptions &common, const GenerateOptions &options);
int evaluate(const CommonOptions &common, const EvalOptions &options);
int logits(const CommonOptions &common, const LogitsOptions &options);
/// bench --shared-prefix, on `model` loaded by bench().
int prefixBench(runtime::Model &model, const CommonOptions &common,
                const BenchOptions &options);
int runEntry(const CommonOptions &common, const RunOptions &options);
int bench(const CommonOptions &common, const BenchOptions &options);
/// An interactive conversation on the terminal (Chat.cpp).
int chat(const CommonOptions &common, const ChatOptions &options);
/// Prints what the artifact holds (Info.cpp).
int info(const CommonOptions &common);
/// Serves until SIGINT or SIGTERM (Serve.cpp).
int serve(const CommonOptions &common, const ServeOptions &options);

/// The median and range of measured values.
struct Spread {
  double median = 0, low = 0, high = 0;
};
Spread spread(std::vector<double> values);

/// Writes `text` to `path`: 0, or 1 having printed why not (fail).
int writeFile(const std::string &path, const std::string &text);

/// Peak resident set size of this process, in bytes.
int64_t peakRssBytes();

using runtime::Clock;
using runtime::millisSince;

/// Prints "llmc-run: error: <message>" and returns 1 (the exit code); in
/// a run of several ranks, prefixed with the rank, and ends them all.
int fail(const std::string &message);

/// Whether this process prints and writes the run's results: rank 0 of a
/// run of several ranks (loadModel starts them), or the one process.
bool leadRank();

/// --tokenizer `path`, else the tokenizer `model`'s artifact (the file
/// `artifact`) carries (llmc compile --tokenizer), else none.
runtime::Expected<std::optional<runtime::Tokenizer>>
chooseTokenizer(const std::string &path, const runtime::Model &model,
                const std::string &artifact);

/// The artifact of `common`, loaded; with `generative`, one that has prefill
/// and decode over a KV cache. Null (the error printed) when it is not.
std::unique_ptr<runtime::Model> loadModel(const CommonOptions &common,
                                          bool generative);

} // namespace llmc::run

#endif // LLMC_TOOLS_LLMC_RUN_COMMANDS_H
