//===- Generate.cpp - llmc-run generate -----------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/generate/Session.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

namespace llmc::run {

using runtime::Expected;

int generate(const CommonOptions &common, const GenerateOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  const runtime::ModelInfo &info = model->info();

  std::optional<runtime::Tokenizer> tokenizer;
  if (!options.tokenizer.empty()) {
    Expected<runtime::Tokenizer> loaded =
        runtime::Tokenizer::load(options.tokenizer);
    if (!loaded)
      return fail(loaded.status().message());
    tokenizer.emplace(std::move(*loaded));
  }
  std::vector<int64_t> prompt = options.promptIds;
  if (!options.prompt.empty()) {
    Expected<std::vector<int64_t>> encoded = tokenizer->encode(options.prompt);
    if (!encoded)
      return fail(encoded.status().message());
    int64_t bos = tokenizer->bosId() >= 0 ? tokenizer->bosId() : info.bosId;
    if (bos >= 0)
      prompt.push_back(bos);
    prompt.insert(prompt.end(), encoded->begin(), encoded->end());
  }
  for (int64_t id : prompt)
    if (id < 0 || id >= info.vocabSize)
      return fail("prompt token id " + std::to_string(id) +
                  " is outside the model's vocabulary of " +
                  std::to_string(info.vocabSize));
  if (static_cast<int64_t>(prompt.size()) > info.maxSeq)
    return fail("the prompt's " + std::to_string(prompt.size()) +
                " tokens exceed the artifact's max_seq of " +
                std::to_string(info.maxSeq));

  std::vector<int64_t> stops = options.stopIds;
  if (!options.ignoreEos) {
    stops.insert(stops.end(), info.eosIds.begin(), info.eosIds.end());
    if (tokenizer && tokenizer->eosId() >= 0)
      stops.push_back(tokenizer->eosId());
  }
  Expected<runtime::Sampler> sampler =
      runtime::Sampler::create(options.sampling);
  if (!sampler)
    return fail(sampler.status().message());

  Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(*model);
  if (!created)
    return fail(created.status().message());
  runtime::Session &session = **created;
  std::vector<int64_t> generated;
  std::string printed;
  bool stopped = false;
  // Prints what the new token adds to the decoded text (pieces that are
  // part of a multi-byte character wait for the rest).
  auto emit = [&](int64_t id) -> runtime::Status {
    if (common.json)
      return runtime::Status::success();
    if (!tokenizer) {
      std::cout << (generated.size() > 1 ? " " : "") << id << std::flush;
      return runtime::Status::success();
    }
    Expected<std::string> text = tokenizer->decode(generated);
    if (!text)
      return text.status();
    if (text->size() > printed.size() &&
        text->compare(0, printed.size(), printed) == 0) {
      std::cout << text->substr(printed.size()) << std::flush;
      printed = *text;
    }
    return runtime::Status::success();
  };

  Clock::time_point start = Clock::now();
  // The device samples where it can (Session::prefillAndSample).
  Expected<std::vector<int64_t>> sampled =
      session.prefillAndSample(prompt, *sampler);
  if (!sampled)
    return fail(sampled.status().message());
  double ttft = 0;
  Clock::time_point decodeStart;
  while (true) {
    int64_t next = sampled->front();
    if (generated.empty()) {
      ttft = millisSince(start);
      decodeStart = Clock::now();
    }
    if (std::find(stops.begin(), stops.end(), next) != stops.end()) {
      stopped = true;
      break;
    }
    generated.push_back(next);
    if (runtime::Status status = emit(next); !status)
      return fail(status.message());
    if (static_cast<int64_t>(generated.size()) >= options.maxTokens ||
        session.position() >= info.maxSeq)
      break;
    sampled = session.decodeAndSample({next}, *sampler);
    if (!sampled)
      return fail(sampled.status().message());
  }
  double decodeMs = generated.empty() ? 0 : millisSince(decodeStart);
  int64_t decoded = std::max<int64_t>(0, int64_t(generated.size()) - 1);
  double tpot = decoded ? decodeMs / decoded : 0;
  int64_t rss = peakRssBytes();

  if (common.json) {
    nlohmann::json out;
    out["prompt_ids"] = prompt;
    out["ids"] = generated;
    if (tokenizer) {
      Expected<std::string> text = tokenizer->decode(generated);
      if (!text)
        return fail(text.status().message());
      out["text"] = *text;
    }
    out["stopped_at_eos"] = stopped;
    out["ttft_ms"] = ttft;
    out["tpot_ms"] = tpot;
    out["decode_tokens_per_s"] = tpot > 0 ? 1000.0 / tpot : 0.0;
    out["peak_rss_bytes"] = rss;
    out["threads"] = model->threads();
    out["device"] = model->device().name();
    out["replayed_steps"] = model->device().replays();
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::cout << std::endl; // before the statistics on stderr
  std::string why =
      stopped ? " (stopped at EOS)"
      : session.position() >= info.maxSeq &&
              int64_t(generated.size()) < options.maxTokens
          ? " (stopped at max_seq " + std::to_string(info.maxSeq) + ")"
          : "";
  std::fprintf(stderr,
               "llmc-run: %zu prompt + %zu generated tokens%s; TTFT %.2f ms, "
               "TPOT %.3f ms (%.1f tokens/s), peak RSS %.1f MiB, %u threads\n",
               prompt.size(), generated.size(), why.c_str(), ttft, tpot,
               tpot > 0 ? 1000.0 / tpot : 0.0, rss / 1048576.0,
               model->threads());
  return 0;
}

} // namespace llmc::run
