//===- Bench.cpp - llmc-run bench: prefill and decode speed ---------------===//
//
// For each batch size and prompt length: one warm-up, then --repeat runs of
// a prefill of pseudo-random prompts followed by --gen greedy decode steps
// (sampled as `generate` samples: on the device where it can).
// Prints a table (median, and min..max over the runs) of TTFT, prefill
// tokens/s, TPOT, decode tokens/s and the weight bandwidth decode achieves
// (weight bytes per step / TPOT), and with --json writes the same figures.
// --profile adds the time spent in each kernel over the measured runs.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

namespace llmc::run {
namespace {

struct Run {
  double ttftMs = 0, tpotMs = 0;
};

struct Spread {
  double median = 0, low = 0, high = 0;
};

Spread spread(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  double median =
      n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

runtime::Expected<Run> runOnce(runtime::Model &model, int64_t batch,
                               int64_t promptLength, int64_t gen,
                               uint64_t seed) {
  const runtime::ModelInfo &info = model.info();
  std::mt19937_64 engine(seed);
  std::uniform_int_distribution<int64_t> token(0, info.vocabSize - 1);
  std::vector<int64_t> prompt(batch * promptLength);
  for (int64_t &id : prompt)
    id = token(engine);
  runtime::Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(model, batch);
  if (!created)
    return created.status();
  runtime::Session &session = **created;
  // Greedy, as a user's generation samples (on the device where it can).
  runtime::Sampler greedy = *runtime::Sampler::create({});
  Clock::time_point start = Clock::now();
  runtime::Expected<std::vector<int64_t>> next =
      session.prefillAndSample(prompt, greedy);
  if (!next)
    return next.status();
  Run run;
  run.ttftMs = millisSince(start);
  start = Clock::now();
  for (int64_t step = 0; step < gen; ++step) {
    next = session.decodeAndSample(*next, greedy);
    if (!next)
      return next.status();
  }
  run.tpotMs = gen ? millisSince(start) / gen : 0;
  return run;
}

} // namespace

int bench(const CommonOptions &common, const BenchOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  const runtime::ModelInfo &info = model->info();
  double weights = static_cast<double>(model->weightBytes());
  nlohmann::json results = nlohmann::json::array();
  runtime::Device &device = model->device();
  double peak = device.peakBandwidth();
  const double cachePerSequence =
      static_cast<double>(runtime::elementCount(info.cacheShape(1))) *
      runtime::dtypeBytes(static_cast<runtime::DType>(info.cache.dtype));
  std::printf("%s: %.1f MB of weights on %s, %u threads, max_seq %lld, "
              "max_batch %lld, KV cache %.2f MiB per sequence (%lld slots%s)\n",
              common.artifact.c_str(), weights / 1e6, device.name().c_str(),
              model->threads(), static_cast<long long>(info.maxSeq),
              static_cast<long long>(info.maxBatch),
              cachePerSequence / 1048576.0,
              static_cast<long long>(info.cache.slots),
              info.cache.slots < info.maxSeq ? ", a sliding-window ring" : "");
  if (peak > 0)
    std::printf("device memory peak %.1f GB/s (reported by the device); "
                "decode CUDA graphs %s\n",
                peak / 1e9, device.recording() ? "on" : "off");
  std::printf("\n| batch | prompt | gen | TTFT ms | prefill tok/s | TPOT ms | "
              "decode tok/s | weights GB/s |%s\n"
              "|---|---|---|---|---|---|---|---|%s\n",
              peak > 0 ? " % of peak |" : "", peak > 0 ? "---|" : "");
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
                      std::min<int64_t>(4, options.gen), 0);
          !warm)
        return fail(warm.status().message());
      std::vector<double> ttft, tpot;
      model->executor().setProfiling(options.profile);
      for (int64_t r = 0; r < options.repeat; ++r) {
        runtime::Expected<Run> run =
            runOnce(*model, batch, promptLength, options.gen, r + 1);
        if (!run)
          return fail(run.status().message());
        ttft.push_back(run->ttftMs);
        tpot.push_back(run->tpotMs);
      }
      model->executor().setProfiling(false);
      Spread first = spread(ttft), step = spread(tpot);
      double prefillRate = batch * promptLength / first.median * 1000;
      double decodeRate = step.median > 0 ? batch / step.median * 1000 : 0;
      double bandwidth = step.median > 0 ? weights / step.median / 1e6 : 0;
      std::printf("| %lld | %lld | %lld | %.2f (%.2f..%.2f) | %.1f | %.3f "
                  "(%.3f..%.3f) | %.1f | %.2f |",
                  static_cast<long long>(batch),
                  static_cast<long long>(promptLength),
                  static_cast<long long>(options.gen), first.median, first.low,
                  first.high, prefillRate, step.median, step.low, step.high,
                  decodeRate, bandwidth);
      if (peak > 0)
        std::printf(" %.1f %% |", 100 * bandwidth * 1e9 / peak);
      std::printf("\n");
      std::fflush(stdout);
      results.push_back({{"batch", batch},
                         {"prompt_len", promptLength},
                         {"gen", options.gen},
                         {"ttft_ms", {first.median, first.low, first.high}},
                         {"prefill_tokens_per_s", prefillRate},
                         {"tpot_ms", {step.median, step.low, step.high}},
                         {"decode_tokens_per_s", decodeRate},
                         {"weight_gb_per_s", bandwidth}});
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
    std::printf("\n| kernel | calls | ms | share |\n|---|---|---|---|\n");
    for (const auto &[name, time] : rows) {
      std::printf("| %s | %lld | %.1f | %.1f %% |\n", name.c_str(),
                  static_cast<long long>(time.calls), time.seconds * 1000,
                  total > 0 ? 100 * time.seconds / total : 0.0);
      profile[name] = {{"calls", time.calls}, {"seconds", time.seconds}};
    }
  }
  if (!options.jsonPath.empty()) {
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
    std::ofstream file(options.jsonPath);
    file << out.dump(1) << "\n";
    if (!file)
      return fail("cannot write " + options.jsonPath);
  }
  return 0;
}

} // namespace llmc::run
