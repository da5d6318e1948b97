//===- Generate.cpp - llmc-run generate -----------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/generate/Session.h"
#include "runtime/speculative/SpeculativeDecoder.h"
#include "runtime/support/TokenFile.h"
#include "runtime/tokenizer/CompletionText.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

namespace llmc::run {

using runtime::Expected;
using runtime::Status;

namespace {

/// What a generation produced, per sequence, and its timings.
struct Generation {
  std::vector<std::vector<int64_t>> ids;
  std::vector<bool> stopped;
  double ttftMs = 0.0, decodeMs = 0.0;
  /// When each token came, in ms from the start (the order they came).
  std::vector<double> tokenMs;
  /// Set when the artifact's draft was used.
  std::optional<runtime::SpeculativeStats> speculative;
  int64_t draftTokens = 0;
};

/// Prints tokens as they come: batch 1 streams (text through the
/// tokenizer, pieces of a multi-byte character waiting for the rest, or
/// ids); a batch prints each sequence on its own line at the end.
class Printer {
public:
  Printer(bool quiet, runtime::Tokenizer *tokenizer, int64_t batch)
      : quiet_(quiet || batch > 1), tokenizer_(tokenizer), batch_(batch),
        ids_(batch) {
    if (tokenizer)
      text_.emplace(*tokenizer, std::vector<std::string>());
  }

  Status emit(int64_t sequence, int64_t id) {
    ids_[sequence].push_back(id);
    if (quiet_)
      return Status::success();
    if (!tokenizer_) {
      std::cout << (ids_[0].size() > 1 ? " " : "") << id << std::flush;
      return Status::success();
    }
    return print(false);
  }

  /// The batch's sequences, one per line (batch 1 has streamed).
  Status finish(bool json) {
    if (json)
      return Status::success();
    if (batch_ == 1) {
      if (tokenizer_)
        if (Status status = print(true); !status)
          return status;
      std::cout << std::endl;
      return Status::success();
    }
    for (const std::vector<int64_t> &ids : ids_) {
      if (tokenizer_) {
        Expected<std::string> text = tokenizer_->decode(ids);
        if (!text)
          return text.status();
        std::cout << *text << "\n";
        continue;
      }
      for (size_t i = 0; i < ids.size(); ++i)
        std::cout << (i ? " " : "") << ids[i];
      std::cout << "\n";
    }
    std::cout << std::flush;
    return Status::success();
  }

private:
  /// Batch 1's text that can no longer change (`ended`: all of it).
  Status print(bool ended) {
    Expected<std::string> delta = text_->update(ids_[0], ended);
    if (!delta)
      return delta.status();
    std::cout << *delta << std::flush;
    return Status::success();
  }

  bool quiet_;
  runtime::Tokenizer *tokenizer_;
  int64_t batch_;
  std::vector<std::vector<int64_t>> ids_;
  std::optional<runtime::CompletionText> text_;
};

/// Plain decoding: one token per sequence and step (prompts of one length
/// unless the cache is paged).
Expected<Generation>
generatePlain(runtime::Session &session,
              const std::vector<std::vector<int64_t>> &prompts,
              const GenerateOptions &options, const std::vector<int64_t> &stops,
              Printer &printer) {
  const int64_t batch = session.batch();
  Expected<runtime::Sampler> sampler =
      runtime::Sampler::create(options.sampling);
  if (!sampler)
    return sampler.status();
  Generation out;
  out.ids.resize(batch);
  out.stopped.assign(batch, false);
  Clock::time_point start = Clock::now(), decodeStart;
  bool first = true;
  // The device samples where it can (Session::sampleLast); pipeline
  // stages keep their micro-batches in flight.
  Status status = session.generate(
      prompts, *sampler, [&](int64_t b, int64_t next) -> Expected<bool> {
        if (first) {
          out.ttftMs = millisSince(start);
          decodeStart = Clock::now();
          first = false;
        }
        if (std::find(stops.begin(), stops.end(), next) != stops.end()) {
          out.stopped[b] = true;
          return false;
        }
        out.ids[b].push_back(next);
        if (options.timeline)
          out.tokenMs.push_back(millisSince(start));
        if (Status status = printer.emit(b, next); !status)
          return status;
        return static_cast<int64_t>(out.ids[b].size()) < options.maxTokens;
      });
  if (!status)
    return status;
  out.decodeMs = millisSince(decodeStart);
  return out;
}

Expected<Generation>
generateSpeculative(runtime::Session &session,
                    const std::vector<std::vector<int64_t>> &prompts,
                    const GenerateOptions &options,
                    const std::vector<int64_t> &stops, Printer &printer) {
  runtime::SpeculativeOptions speculative;
  const int64_t most = session.model().info().speculative.draftTokens;
  speculative.draftTokens = options.draftTokens >= 0
                                ? options.draftTokens
                                : std::min<int64_t>(4, most);
  speculative.adaptive = options.speculative == "auto";
  speculative.maxTokens = options.maxTokens;
  speculative.stops = stops;
  speculative.sampling = options.sampling;
  Expected<std::unique_ptr<runtime::SpeculativeDecoder>> decoder =
      runtime::SpeculativeDecoder::create(session, speculative);
  if (!decoder)
    return decoder.status();
  Expected<std::vector<std::vector<int64_t>>> ids =
      (*decoder)->generate(prompts, [&](int64_t sequence, int64_t id) {
        return printer.emit(sequence, id);
      });
  if (!ids)
    return ids.status();
  Generation out;
  out.ids = std::move(*ids);
  out.stopped = (*decoder)->stopped();
  out.speculative = (*decoder)->stats();
  out.ttftMs = out.speculative->firstTokenMs;
  out.decodeMs = out.speculative->decodeMs;
  out.draftTokens = speculative.draftTokens;
  return out;
}

} // namespace

int generate(const CommonOptions &common, const GenerateOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  const runtime::ModelInfo &info = model->info();

  Expected<std::optional<runtime::Tokenizer>> chosen =
      chooseTokenizer(options.tokenizer, *model, common.artifact);
  if (!chosen)
    return fail(chosen.status().message());
  std::optional<runtime::Tokenizer> &tokenizer = *chosen;
  if (!tokenizer && !options.prompt.empty()) {
    return fail("--prompt needs --tokenizer, or an artifact compiled with "
                "llmc compile --tokenizer");
  }
  std::vector<std::vector<int64_t>> prompts;
  if (!options.promptsFile.empty()) {
    Expected<runtime::TokenSequences> read =
        runtime::readTokenFile(options.promptsFile);
    if (!read)
      return fail(read.status().message());
    prompts = std::move(*read);
  } else {
    prompts.push_back(options.promptIds);
  }
  if (!options.prompt.empty()) {
    Expected<std::vector<int64_t>> encoded = tokenizer->encode(options.prompt);
    if (!encoded)
      return fail(encoded.status().message());
    int64_t bos = tokenizer->bosId() >= 0 ? tokenizer->bosId() : info.bosId;
    if (bos >= 0)
      prompts[0].push_back(bos);
    prompts[0].insert(prompts[0].end(), encoded->begin(), encoded->end());
  }
  for (const std::vector<int64_t> &prompt : prompts) {
    for (int64_t id : prompt)
      if (id < 0 || id >= info.vocabSize)
        return fail("prompt token id " + std::to_string(id) +
                    " is outside the model's vocabulary of " +
                    std::to_string(info.vocabSize));
    if (prompt.empty())
      return fail("an empty prompt: give at least one token");
    if (static_cast<int64_t>(prompt.size()) > info.maxSeq &&
        !info.cache.eviction.any())
      return fail("the prompt's " + std::to_string(prompt.size()) +
                  " tokens exceed the artifact's max_seq of " +
                  std::to_string(info.maxSeq));
  }
  const int64_t batch = static_cast<int64_t>(prompts.size());
  if (batch > info.maxBatch)
    return fail(std::to_string(batch) + " prompts exceed the artifact's " +
                std::to_string(info.maxBatch) +
                " sequences per call (compile with --max-batch " +
                std::to_string(batch) + ")");

  bool speculative =
      options.speculative == "on" ||
      (options.speculative == "auto" && model->checkSpeculative().ok());
  if (options.speculative == "on")
    if (Status status = model->checkSpeculative(); !status)
      return fail("--speculative on: " + common.artifact + ": " +
                  status.message());
  if (options.draftTokens >= 0 && !speculative)
    return fail("--draft-tokens applies to speculative decoding, which " +
                std::string(options.speculative == "off"
                                ? "--speculative off turns off"
                                : "needs an artifact compiled with --draft"));

  std::vector<int64_t> stops = options.stopIds;
  if (!options.ignoreEos) {
    stops.insert(stops.end(), info.eosIds.begin(), info.eosIds.end());
    if (tokenizer && tokenizer->eosId() >= 0)
      stops.push_back(tokenizer->eosId());
  }
  Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(*model, batch, common.session());
  if (!created)
    return fail(created.status().message());
  Printer printer(common.json, tokenizer ? &*tokenizer : nullptr, batch);
  Expected<Generation> result =
      speculative
          ? generateSpeculative(**created, prompts, options, stops, printer)
          : generatePlain(**created, prompts, options, stops, printer);
  if (!result)
    return fail(result.status().message());
  if (Status status = printer.finish(common.json); !status)
    return fail(status.message());

  int64_t generated = 0, decoded = 0;
  for (const std::vector<int64_t> &ids : result->ids) {
    generated += static_cast<int64_t>(ids.size());
    decoded += std::max<int64_t>(0, int64_t(ids.size()) - 1);
  }
  // Time per generated token after the first, and tokens per second over
  // the batch.
  double tpot = decoded ? result->decodeMs * batch / decoded : 0.0;
  double perSecond =
      result->decodeMs > 0 ? decoded * 1000.0 / result->decodeMs : 0.0;
  int64_t rss = peakRssBytes();
  const runtime::SpeculativeStats *stats =
      result->speculative ? &*result->speculative : nullptr;
  double perCall = stats && stats->verifyCalls
                       ? double(stats->emitted) / (stats->verifyCalls * batch)
                       : 0.0;

  if (common.json) {
    nlohmann::json out;
    auto sequence = [&](int64_t b) -> Expected<nlohmann::json> {
      nlohmann::json one;
      one["prompt_ids"] = prompts[b];
      one["ids"] = result->ids[b];
      if (tokenizer) {
        Expected<std::string> text = tokenizer->decode(result->ids[b]);
        if (!text)
          return text.status();
        one["text"] = *text;
      }
      one["stopped_at_eos"] = bool(result->stopped[b]);
      return one;
    };
    if (batch == 1) {
      Expected<nlohmann::json> one = sequence(0);
      if (!one)
        return fail(one.status().message());
      out = *one;
    } else {
      for (int64_t b = 0; b < batch; ++b) {
        Expected<nlohmann::json> one = sequence(b);
        if (!one)
          return fail(one.status().message());
        out["sequences"].push_back(*one);
      }
    }
    out["ttft_ms"] = result->ttftMs;
    if (options.timeline)
      out["token_ms"] = result->tokenMs;
    out["tpot_ms"] = tpot;
    out["decode_tokens_per_s"] = perSecond;
    out["peak_rss_bytes"] = rss;
    out["threads"] = model->threads();
    out["device"] = model->device().name();
    out["replayed_steps"] = model->device().replays();
    if (const runtime::KvBlocks *blocks = created->get()->kvBlocks()) {
      const runtime::KvMemory &peak = created->get()->peakKvMemory();
      out["kv_cache"] = {{"block_tokens", peak.blockTokens},
                         {"blocks", blocks->pool().size()},
                         {"reserved_bytes", blocks->memory().reservedBytes()},
                         {"peak_held_blocks", peak.held},
                         {"peak_held_bytes", peak.heldBytes()},
                         {"peak_tokens", peak.tokens},
                         {"peak_waste", peak.waste()},
                         {"prefix_lookups", blocks->pool().lookups()},
                         {"prefix_hits", blocks->pool().hits()},
                         {"evictions", blocks->pool().evictions()}};
      if (info.cache.eviction.any()) {
        out["kv_cache"]["evicted_tokens"] = created->get()->evictedTokens();
        out["kv_cache"]["window_evictions"] = created->get()->evictions();
      }
    }
    if (stats) {
      nlohmann::json s;
      s["draft"] = info.speculative.source;
      s["draft_tokens"] = result->draftTokens;
      s["verify_calls"] = stats->verifyCalls;
      s["drafted"] = stats->drafted;
      s["accepted"] = stats->accepted;
      s["acceptance_rate"] = stats->acceptanceRate();
      s["rejected"] = stats->rejected;
      s["token_acceptance"] = stats->tokenAcceptance();
      s["tokens_per_verify"] = perCall;
      s["draft_ms"] = stats->draftMs;
      s["verify_ms"] = stats->verifyMs;
      s["adaptive"] = options.speculative == "auto";
      s["plain_steps"] = stats->plainSteps;
      s["plain_step_ms"] = stats->plainStepMs;
      s["draft_token_ms"] = stats->draftTokenMs;
      s["speedup"] = stats->speedup(batch);
      s["predicted_speedup"] = stats->predicted(result->draftTokens);
      out["speculative"] = s;
    }
    std::cout << out.dump() << "\n";
    return 0;
  }
  bool anyStopped = std::find(result->stopped.begin(), result->stopped.end(),
                              true) != result->stopped.end();
  std::string why;
  if (batch == 1 && anyStopped)
    why = " (stopped at EOS)";
  else if (batch == 1 && generated < options.maxTokens &&
           int64_t(prompts[0].size()) + generated - 1 >= info.maxSeq)
    why = " (stopped at max_seq " + std::to_string(info.maxSeq) + ")";
  size_t promptTokens = 0;
  for (const std::vector<int64_t> &prompt : prompts)
    promptTokens += prompt.size();
  std::fprintf(
      stderr,
      "llmc-run: %zu prompt + %lld generated tokens%s%s; TTFT %.2f "
      "ms, TPOT %.3f ms (%.1f tokens/s), peak RSS %.1f MiB, %u "
      "threads\n",
      promptTokens, static_cast<long long>(generated), why.c_str(),
      batch > 1 ? (" in " + std::to_string(batch) + " sequences").c_str() : "",
      result->ttftMs, tpot, perSecond, rss / 1048576.0, model->threads());
  if (const runtime::KvBlocks *blocks = created->get()->kvBlocks()) {
    const runtime::KvMemory &peak = created->get()->peakKvMemory();
    std::fprintf(
        stderr,
        "llmc-run: paged KV cache: %d blocks of %lld tokens (%.1f "
        "MiB); at most %lld held (%.1f MiB) for %lld tokens, %.1f %% "
        "of their slots empty; prefix cache: %lld of %lld blocks "
        "found\n",
        blocks->pool().size(), static_cast<long long>(peak.blockTokens),
        blocks->memory().reservedBytes() / 1048576.0,
        static_cast<long long>(peak.held), peak.heldBytes() / 1048576.0,
        static_cast<long long>(peak.tokens), 100.0 * peak.waste(),
        static_cast<long long>(blocks->pool().hits()),
        static_cast<long long>(blocks->pool().lookups()));
  }
  if (stats)
    std::fprintf(stderr,
                 "llmc-run: speculative (draft %s, %s%lld tokens): %lld verify "
                 "calls (%lld plain), acceptance %.1f %% (%lld of %lld "
                 "drafted; %.1f %% of the tested ones, up to each first "
                 "rejection), %.2f tokens per verify call, speed-up %.2fx over "
                 "plain steps of %.3f ms (Leviathan's formula: %.2fx)\n",
                 info.speculative.source.c_str(),
                 options.speculative == "auto" ? "adaptive, at most " : "",
                 static_cast<long long>(result->draftTokens),
                 static_cast<long long>(stats->verifyCalls),
                 static_cast<long long>(stats->plainSteps),
                 100.0 * stats->acceptanceRate(),
                 static_cast<long long>(stats->accepted),
                 static_cast<long long>(stats->drafted),
                 100.0 * stats->tokenAcceptance(), perCall,
                 stats->speedup(batch), stats->plainStepMs,
                 stats->predicted(result->draftTokens));
  return 0;
}

} // namespace llmc::run
