//===- PrefixBench.cpp - llmc-run bench --shared-prefix: prefix caching ---===//
//
// Requests that start alike, one after another on one session over a paged
// KV cache: each prompt of --prompt-len tokens begins with the same
// --shared-prefix tokens (pseudo-random, then a different suffix per
// request), and the first token of each is generated greedily. The first
// request finds nothing cached; the later ones take the prefix's whole
// blocks from the pool. The same prompts on a fresh session each (nothing
// cached) are the baseline, taking turns with them, --repeat times over.
// Prints the time to first token of both, the speed-up, and the prefix
// blocks found of those looked up; --json writes the figures.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <random>

namespace llmc::run {
namespace {

using runtime::Expected;
using runtime::Status;

/// Milliseconds to the first token of `prompt` on `session`.
Expected<double> firstToken(runtime::Session &session,
                            const std::vector<int64_t> &prompt) {
  runtime::Sampler greedy = *runtime::Sampler::create({});
  Clock::time_point start = Clock::now();
  double ms = 0;
  if (Status status = session.generate({prompt}, greedy,
                                       [&](int64_t, int64_t) -> Expected<bool> {
                                         ms = millisSince(start);
                                         return false;
                                       });
      !status)
    return status;
  return ms;
}

} // namespace

int prefixBench(runtime::Model &model, const CommonOptions &common,
                const BenchOptions &options) {
  const runtime::ModelInfo &info = model.info();
  const int64_t prefix = options.sharedPrefix,
                length = options.promptLengths.front(),
                requests = options.requests;
  if (!info.cache.paged())
    return fail("--shared-prefix measures prefix caching, which needs a paged "
                "KV cache (compile with --kv-layout paged)");
  if (options.promptLengths.size() != 1 || options.batches.size() != 1 ||
      options.batches.front() != 1)
    return fail("--shared-prefix runs one request at a time: give one "
                "--prompt-len (the whole prompt) and no --batch");
  if (length <= prefix || length > info.maxSeq)
    return fail("--prompt-len " + std::to_string(length) +
                " must exceed --shared-prefix " + std::to_string(prefix) +
                " and fit max_seq " + std::to_string(info.maxSeq));
  if (requests < 2)
    return fail("--requests " + std::to_string(requests) +
                ": at least 2 (the first fills the cache)");
  std::mt19937_64 engine(1);
  std::uniform_int_distribution<int64_t> token(0, info.vocabSize - 1);
  std::vector<int64_t> shared(static_cast<size_t>(prefix));
  for (int64_t &id : shared)
    id = token(engine);
  std::vector<std::vector<int64_t>> prompts;
  for (int64_t r = 0; r < requests; ++r) {
    prompts.push_back(shared);
    for (int64_t t = prefix; t < length; ++t)
      prompts.back().push_back(token(engine));
  }
  std::printf("%s: %lld requests of %lld tokens, the first %lld shared; "
              "blocks of %lld tokens; %u threads\n",
              common.artifact.c_str(), static_cast<long long>(requests),
              static_cast<long long>(length), static_cast<long long>(prefix),
              static_cast<long long>(info.cache.blockTokens), model.threads());
  std::vector<double> first, later, uncached;
  int64_t lookups = 0, hits = 0;
  // A warm-up request, then the runs; the cached session and the fresh
  // ones take turns.
  for (int64_t run = -1; run < options.repeat; ++run) {
    Expected<std::unique_ptr<runtime::Session>> session =
        runtime::Session::create(model, 1, common.session());
    if (!session)
      return fail(session.status().message());
    for (int64_t r = 0; r < requests; ++r) {
      Expected<double> cached = firstToken(**session, prompts[size_t(r)]);
      if (!cached)
        return fail(cached.status().message());
      Expected<std::unique_ptr<runtime::Session>> fresh =
          runtime::Session::create(model, 1, common.session());
      if (!fresh)
        return fail(fresh.status().message());
      Expected<double> alone = firstToken(**fresh, prompts[size_t(r)]);
      if (!alone)
        return fail(alone.status().message());
      if (run < 0)
        continue;
      (r == 0 ? first : later).push_back(*cached);
      uncached.push_back(*alone);
    }
    if (run >= 0) {
      lookups += (*session)->kvBlocks()->pool().lookups();
      hits += (*session)->kvBlocks()->pool().hits();
    }
  }
  const double firstMs = spread(first).median, laterMs = spread(later).median,
               uncachedMs = spread(uncached).median;
  std::printf("\n| TTFT uncached ms | TTFT first request ms | TTFT later "
              "requests ms | speed-up | prefix blocks found |\n"
              "|---|---|---|---|---|\n"
              "| %.2f | %.2f | %.2f | %.1fx | %lld of %lld (%.0f %%) |\n",
              uncachedMs, firstMs, laterMs, uncachedMs / laterMs,
              static_cast<long long>(hits), static_cast<long long>(lookups),
              lookups ? 100.0 * double(hits) / double(lookups) : 0.0);
  if (!options.jsonPath.empty()) {
    nlohmann::json out = {{"artifact", common.artifact},
                          {"threads", model.threads()},
                          {"block_tokens", info.cache.blockTokens},
                          {"requests", requests},
                          {"prompt_tokens", length},
                          {"shared_prefix_tokens", prefix},
                          {"repeat", options.repeat},
                          {"ttft_uncached_ms", uncached},
                          {"ttft_first_ms", first},
                          {"ttft_later_ms", later},
                          {"speedup", uncachedMs / laterMs},
                          {"prefix_lookups", lookups},
                          {"prefix_hits", hits}};
    return writeFile(options.jsonPath, out.dump(1) + "\n");
  }
  return 0;
}

} // namespace llmc::run
