//===- Bench.cpp - llmc-run bench: prefill and decode speed ---------------===//
//
// For each batch size and prompt length: one warm-up, then --repeat runs of
// a prefill of pseudo-random prompts followed by --gen greedy decode steps
// (sampled as `generate` samples: on the device where it can).
// Prints a table (median, and min..max over the runs) of TTFT, prefill
// tokens/s, TPOT, decode tokens/s and the weight bandwidth decode achieves
// (weight bytes per step / TPOT), and with --json writes the same figures.
// --profile adds the time spent in each kernel over the measured runs.
// --speculative (an artifact compiled with --draft) takes turns with each
// run: the same prompts continued by speculative decoding (the adaptive
// controller), with its TPOT, decode tokens/s, speed-up over the plain
// run's, acceptance rate and tokens per verify call. --shared-prefix N
// measures prefix caching instead (PrefixBench.cpp).
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/format/Progress.h"
#include "runtime/speculative/SpeculativeDecoder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <random>

namespace llmc::run {
namespace {

struct Run {
  double ttftMs = 0, tpotMs = 0;
};

} // namespace

Spread spread(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  double median =
      n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

namespace {

/// `batch` pseudo-random prompts of `length` tokens, fixed by `seed`.
std::vector<std::vector<int64_t>> randomPrompts(const runtime::ModelInfo &info,
                                                int64_t batch, int64_t length,
                                                uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_int_distribution<int64_t> token(0, info.vocabSize - 1);
  std::vector<std::vector<int64_t>> prompts(batch,
                                            std::vector<int64_t>(length));
  for (std::vector<int64_t> &prompt : prompts)
    for (int64_t &id : prompt)
      id = token(engine);
  return prompts;
}

runtime::Expected<Run> runOnce(runtime::Model &model, int64_t batch,
                               int64_t promptLength, int64_t gen, uint64_t seed,
                               runtime::SessionOptions options) {
  std::vector<std::vector<int64_t>> prompts =
      randomPrompts(model.info(), batch, promptLength, seed);
  runtime::Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(model, batch, options);
  if (!created)
    return created.status();
  runtime::Session &session = **created;
  // Greedy, as a user's generation samples (on the device where it can),
  // through the generation loop (pipeline stages keep their micro-batches
  // in flight): the first token, then `gen` more of each sequence.
  runtime::Sampler greedy = *runtime::Sampler::create({});
  Clock::time_point start = Clock::now(), first, last;
  std::vector<int64_t> taken(size_t(batch), 0);
  bool any = false;
  runtime::Status status = session.generate(
      prompts, greedy, [&](int64_t b, int64_t) -> runtime::Expected<bool> {
        last = Clock::now();
        if (!any)
          first = last;
        any = true;
        return ++taken[b] <= gen;
      });
  if (!status)
    return status;
  Run run;
  run.ttftMs = std::chrono::duration<double, std::milli>(first - start).count();
  run.tpotMs =
      gen ? std::chrono::duration<double, std::milli>(last - first).count() /
                gen
          : 0;
  return run;
}

/// The same prompts as runOnce's `seed`, continued greedily by
/// speculative decoding (the artifact's draft, the adaptive controller):
/// TTFT, the time per token after the first, acceptance and tokens per
/// verify call.
struct SpeculativeRun {
  Run run;
  double acceptance = 0, perCall = 0;
};

runtime::Expected<SpeculativeRun> runSpeculative(runtime::Model &model,
                                                 int64_t batch,
                                                 int64_t promptLength,
                                                 int64_t gen, uint64_t seed) {
  const runtime::ModelInfo &info = model.info();
  std::vector<std::vector<int64_t>> prompts =
      randomPrompts(info, batch, promptLength, seed);
  runtime::Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(model, batch);
  if (!created)
    return created.status();
  runtime::SpeculativeOptions options;
  options.draftTokens = std::min<int64_t>(4, info.speculative.draftTokens);
  options.maxTokens = gen + 1; // as runOnce: the first token and `gen` more
  runtime::Expected<std::unique_ptr<runtime::SpeculativeDecoder>> decoder =
      runtime::SpeculativeDecoder::create(**created, options);
  if (!decoder)
    return decoder.status();
  runtime::Expected<std::vector<std::vector<int64_t>>> out =
      (*decoder)->generate(prompts, nullptr);
  if (!out)
    return out.status();
  const runtime::SpeculativeStats &stats = (*decoder)->stats();
  SpeculativeRun run;
  run.run.ttftMs = stats.firstTokenMs;
  run.run.tpotMs = gen ? stats.decodeMs / gen : 0;
  run.acceptance = stats.acceptanceRate();
  run.perCall = stats.verifyCalls
                    ? double(stats.emitted) / double(stats.verifyCalls * batch)
                    : 0.0;
  return run;
}

} // namespace

int bench(const CommonOptions &common, const BenchOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  const runtime::ModelInfo &info = model->info();
  if (options.sharedPrefix > 0)
    return prefixBench(*model, common, options);
  if (options.speculative)
    if (runtime::Status status = model->checkSpeculative(); !status)
      return fail("--speculative: " + common.artifact + ": " +
                  status.message());
  double weights = static_cast<double>(model->weightBytes());
  nlohmann::json results = nlohmann::json::array();
  runtime::Device &device = model->device();
  double peak = device.peakBandwidth();
  const double cachePerSequence =
      static_cast<double>(runtime::elementCount(info.cacheShape(1))) *
      runtime::dtypeBytes(static_cast<runtime::DType>(info.cache.dtype));
  std::printf(
      "%s: %.1f MB of weights on %s, %u threads, max_seq %lld, "
      "max_batch %lld, KV cache %.2f MiB per sequence (%lld slots%s)"
      "%s\n",
      common.artifact.c_str(), weights / 1e6, device.name().c_str(),
      model->threads(), static_cast<long long>(info.maxSeq),
      static_cast<long long>(info.maxBatch), cachePerSequence / 1048576.0,
      static_cast<long long>(info.cache.slots),
      info.cache.slots < info.maxSeq ? ", a sliding-window ring" : "",
      info.cache.paged() ? (", paged: blocks of " +
                            std::to_string(info.cache.blockTokens) + " tokens")
                               .c_str()
                         : "");
  if (peak > 0)
    std::printf("device memory peak %.1f GB/s (reported by the device); "
                "decode CUDA graphs %s\n",
                peak / 1e9, device.recording() ? "on" : "off");
  if (options.speculative)
    std::printf("speculative decoding with the draft %s (adaptive, at most "
                "%lld tokens), taking turns with plain decoding\n",
                info.speculative.source.c_str(),
                static_cast<long long>(
                    std::min<int64_t>(4, info.speculative.draftTokens)));
  std::printf("\n| batch | prompt | gen | TTFT ms | prefill tok/s | TPOT ms | "
              "decode tok/s | weights GB/s |%s%s\n"
              "|---|---|---|---|---|---|---|---|%s%s\n",
              peak > 0 ? " % of peak |" : "",
              options.speculative ? " speculative TPOT ms | speculative "
                                    "decode tok/s | speed-up | acceptance | "
                                    "tokens per verify |"
                                  : "",
              peak > 0 ? "---|" : "",
              options.speculative ? "---|---|---|---|---|" : "");
  runtime::Progress progress(
      "bench",
      int64_t(options.batches.size() * options.promptLengths.size()) *
          options.repeat,
      "runs");
  int64_t runs = 0;
  for (int64_t batch : options.batches)
    for (int64_t promptLength : options.promptLengths) {
      if (batch > info.maxBatch)
        return fail("batch " + std::to_string(batch) +
                    " exceeds the artifact's max_batch of " +
                    std::to_string(info.maxBatch) +
                    " (compile with --max-batch " + std::to_string(batch) +
                    ")");
      if (promptLength + options.gen > info.maxSeq)
        return fail("prompt " + std::to_string(promptLength) + " + gen " +
                    std::to_string(options.gen) +
                    " tokens exceed the artifact's max_seq of " +
                    std::to_string(info.maxSeq));
      // Warm-up: page the weights in, size the scratch buffers.
      if (runtime::Expected<Run> warm =
              runOnce(*model, batch, promptLength,
                      std::min<int64_t>(4, options.gen), 0, common.session());
          !warm)
        return fail(warm.status().message());
      if (options.speculative)
        if (runtime::Expected<SpeculativeRun> warm =
                runSpeculative(*model, batch, promptLength,
                               std::min<int64_t>(4, options.gen), 0);
            !warm)
          return fail(warm.status().message());
      std::vector<double> ttft, tpot, specTpot, acceptance, perCall;
      model->executor().setProfiling(options.profile);
      // Plain and speculative runs take turns on the same prompts.
      for (int64_t r = 0; r < options.repeat; ++r) {
        progress.update(runs++);
        runtime::Expected<Run> run = runOnce(
            *model, batch, promptLength, options.gen, r + 1, common.session());
        if (!run)
          return fail(run.status().message());
        ttft.push_back(run->ttftMs);
        tpot.push_back(run->tpotMs);
        if (!options.speculative)
          continue;
        runtime::Expected<SpeculativeRun> spec =
            runSpeculative(*model, batch, promptLength, options.gen, r + 1);
        if (!spec)
          return fail(spec.status().message());
        specTpot.push_back(spec->run.tpotMs);
        acceptance.push_back(spec->acceptance);
        perCall.push_back(spec->perCall);
      }
      model->executor().setProfiling(false);
      Spread first = spread(ttft), step = spread(tpot);
      double prefillRate = batch * promptLength / first.median * 1000;
      double decodeRate = step.median > 0 ? batch / step.median * 1000 : 0;
      double bandwidth = step.median > 0 ? weights / step.median / 1e6 : 0;
      // The table's row where the progress line was.
      progress.erase();
      std::printf("| %lld | %lld | %lld | %.2f (%.2f..%.2f) | %.1f | %.3f "
                  "(%.3f..%.3f) | %.1f | %.2f |",
                  static_cast<long long>(batch),
                  static_cast<long long>(promptLength),
                  static_cast<long long>(options.gen), first.median, first.low,
                  first.high, prefillRate, step.median, step.low, step.high,
                  decodeRate, bandwidth);
      if (peak > 0)
        std::printf(" %.1f %% |", 100 * bandwidth * 1e9 / peak);
      nlohmann::json row = {{"batch", batch},
                            {"prompt_len", promptLength},
                            {"gen", options.gen},
                            {"ttft_ms", {first.median, first.low, first.high}},
                            {"prefill_tokens_per_s", prefillRate},
                            {"tpot_ms", {step.median, step.low, step.high}},
                            {"decode_tokens_per_s", decodeRate},
                            {"weight_gb_per_s", bandwidth}};
      if (options.speculative) {
        Spread spec = spread(specTpot);
        double specRate = spec.median > 0 ? batch / spec.median * 1000 : 0;
        double speedup = spec.median > 0 ? step.median / spec.median : 0;
        double accepted = spread(acceptance).median,
               tokens = spread(perCall).median;
        std::printf(" %.3f (%.3f..%.3f) | %.1f | %.2fx | %.2f | %.2f |",
                    spec.median, spec.low, spec.high, specRate, speedup,
                    accepted, tokens);
        row["speculative"] = {{"tpot_ms", {spec.median, spec.low, spec.high}},
                              {"decode_tokens_per_s", specRate},
                              {"speedup", speedup},
                              {"acceptance", accepted},
                              {"tokens_per_verify", tokens}};
      }
      std::printf("\n");
      std::fflush(stdout);
      results.push_back(row);
    }
  int64_t rss = peakRssBytes();
  std::printf("\npeak RSS %.1f MiB\n", rss / 1048576.0);
  nlohmann::json profile = nlohmann::json::object();
  if (options.profile) {
    // Time per kernel over the measured runs (prefill and decode), largest
    // first.
    std::vector<std::pair<std::string, runtime::Executor::KernelTime>> rows(
        model->executor().profile().begin(), model->executor().profile().end());
    double total = 0;
    for (const auto &[name, time] : rows)
      total += time.seconds;
    std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
      return a.second.seconds > b.second.seconds;
    });
    progress.complete();
    std::printf("\n| kernel | calls | ms | share |\n|---|---|---|---|\n");
    for (const auto &[name, time] : rows) {
      std::printf("| %s | %lld | %.1f | %.1f %% |\n", name.c_str(),
                  static_cast<long long>(time.calls), time.seconds * 1000,
                  total > 0 ? 100 * time.seconds / total : 0.0);
      profile[name] = {{"calls", time.calls}, {"seconds", time.seconds}};
    }
  }
  progress.complete();
  if (!options.jsonPath.empty() && leadRank()) {
    nlohmann::json out = {{"artifact", common.artifact},
                          {"device", device.name()},
                          {"device_peak_bytes_per_s", peak},
                          {"cuda_graphs", device.recording()},
                          {"threads", model->threads()},
                          {"weight_bytes", model->weightBytes()},
                          {"kv_cache_bytes_per_sequence", cachePerSequence},
                          {"kv_cache_slots", info.cache.slots},
                          {"repeat", options.repeat},
                          {"peak_rss_bytes", rss},
                          {"profile", profile},
                          {"runs", results}};
    return writeFile(options.jsonPath, out.dump(1) + "\n");
  }
  return 0;
}

} // namespace llmc::run
