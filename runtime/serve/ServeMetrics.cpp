//===- ServeMetrics.cpp - a server's counters in Prometheus text ----------===//

#include "runtime/serve/ServeMetrics.h"

#include <cstdio>

namespace llmc::runtime {
namespace {

/// A label value with backslash, quote and newline escaped.
std::string escaped(const std::string &value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

void family(std::string &out, const std::string &name, const char *type,
            const std::string &help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

} // namespace

// vLLM's buckets (vllm/engine/metrics.py), so that its dashboards' queries
// and quantiles mean the same.
ServeMetrics::ServeMetrics(std::string modelName)
    : labels_("model_name=\"" + escaped(modelName) + "\"") {
  ttft_.bounds = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                  0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                  20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
  tpot_.bounds = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                  0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
  e2e_.bounds = {0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                 5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
  for (Histogram *h : {&ttft_, &tpot_, &e2e_})
    h->counts.assign(h->bounds.size(), 0);
}

void ServeMetrics::Histogram::observe(double value) {
  for (size_t i = 0; i < bounds.size(); ++i)
    if (value <= bounds[i])
      ++counts[i];
  sum += value;
  ++count;
}

void ServeMetrics::admitted(int64_t promptTokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  promptTokens_ += promptTokens;
}

void ServeMetrics::firstToken(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ttft_.observe(seconds);
  ++generationTokens_;
}

void ServeMetrics::nextToken(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  tpot_.observe(seconds);
  ++generationTokens_;
}

void ServeMetrics::finished(FinishReason reason, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  e2e_.observe(seconds);
  ++finished_[finishReasonName(reason)];
}

void ServeMetrics::rejected(const std::string &reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++rejected_[reason];
}

void ServeMetrics::preempted() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++preemptions_;
}

void ServeMetrics::speculating(int64_t draftTokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  acceptedAt_.assign(size_t(std::max<int64_t>(draftTokens, 0)), 0);
}

void ServeMetrics::speculated(int64_t drafted, int64_t accepted) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++drafts_;
  draftTokens_ += drafted;
  acceptedTokens_ += accepted;
  for (int64_t i = 0; i < accepted && i < int64_t(acceptedAt_.size()); ++i)
    ++acceptedAt_[size_t(i)];
}

void ServeMetrics::renderHistogram(std::string &out, const std::string &name,
                                   const std::string &help,
                                   const Histogram &h) const {
  family(out, name, "histogram", help);
  for (size_t i = 0; i < h.bounds.size(); ++i)
    out += name + "_bucket{le=\"" + number(h.bounds[i]) + "\"," + labels_ +
           "} " + std::to_string(h.counts[i]) + "\n";
  out += name + "_bucket{le=\"+Inf\"," + labels_ + "} " +
         std::to_string(h.count) + "\n";
  out += name + "_count{" + labels_ + "} " + std::to_string(h.count) + "\n";
  out += name + "_sum{" + labels_ + "} " + number(h.sum) + "\n";
}

std::string ServeMetrics::render(const EngineGauges &engine) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  auto gauge = [&](const std::string &name, const std::string &help,
                   double value) {
    family(out, name, "gauge", help);
    out += name + "{" + labels_ + "} " + number(value) + "\n";
  };
  auto counter = [&](const std::string &name, const std::string &help,
                     int64_t value) {
    family(out, name, "counter", help);
    out += name + "_total{" + labels_ + "} " + std::to_string(value) + "\n";
  };
  gauge("vllm:num_requests_running",
        "Number of requests in model execution batches.",
        double(engine.running));
  gauge("vllm:num_requests_waiting",
        "Number of requests waiting to be processed.", double(engine.waiting));
  const double usage =
      engine.kvBlocks ? double(engine.kvHeldBlocks) / double(engine.kvBlocks)
                      : 0.0;
  gauge("vllm:gpu_cache_usage_perc",
        "KV-cache usage. 1 means 100 percent usage (llmc: the paged pool's "
        "held blocks, on any device).",
        usage);
  counter("vllm:prompt_tokens", "Number of prefill tokens processed.",
          promptTokens_);
  counter("vllm:generation_tokens", "Number of generation tokens processed.",
          generationTokens_);
  counter("vllm:num_preemptions",
          "Cumulative number of preemption from the engine.", preemptions_);
  // A counter with one sample per value of `label`, from `counts`.
  auto byLabel = [&](const std::string &name, const std::string &help,
                     const char *label, std::vector<const char *> values,
                     const std::map<std::string, int64_t> &counts) {
    family(out, name, "counter", help);
    for (const char *value : values) {
      auto it = counts.find(value);
      out += name + "_total{" + label + "=\"" + value + "\"," + labels_ + "} " +
             std::to_string(it == counts.end() ? 0 : it->second) + "\n";
    }
  };
  byLabel("vllm:request_success", "Count of successfully processed requests.",
          "finished_reason", {"stop", "length"}, finished_);
  renderHistogram(out, "vllm:time_to_first_token_seconds",
                  "Histogram of time to first token in seconds.", ttft_);
  renderHistogram(out, "vllm:time_per_output_token_seconds",
                  "Histogram of time per output token in seconds.", tpot_);
  renderHistogram(out, "vllm:e2e_request_latency_seconds",
                  "Histogram of end to end request latency in seconds.", e2e_);

  gauge("llmc:kv_blocks", "Blocks of the paged KV pool.",
        double(engine.kvBlocks));
  gauge("llmc:kv_blocks_used", "KV blocks that running requests hold.",
        double(engine.kvHeldBlocks));
  counter("llmc:prefix_cache_queries",
          "Whole prompt blocks looked up in the prefix cache.",
          engine.prefixLookups);
  counter("llmc:prefix_cache_hits",
          "Whole prompt blocks found in the prefix cache.", engine.prefixHits);
  gauge("llmc:prefix_cache_hit_rate",
        "Share of the looked-up prompt blocks found in the prefix cache.",
        engine.prefixLookups
            ? double(engine.prefixHits) / double(engine.prefixLookups)
            : 0.0);
  if (!acceptedAt_.empty()) {
    // vLLM's (v1) speculative decoding counters.
    counter("vllm:spec_decode_num_drafts",
            "Number of spec decoding drafts (one per request and step).",
            drafts_);
    counter("vllm:spec_decode_num_draft_tokens", "Number of draft tokens.",
            draftTokens_);
    counter("vllm:spec_decode_num_accepted_tokens",
            "Number of accepted tokens.", acceptedTokens_);
    const std::string perPos = "vllm:spec_decode_num_accepted_tokens_per_pos";
    family(out, perPos, "counter",
           "Accepted tokens per draft position (from 0).");
    for (size_t i = 0; i < acceptedAt_.size(); ++i)
      out += perPos + "_total{position=\"" + std::to_string(i) + "\"," +
             labels_ + "} " + std::to_string(acceptedAt_[i]) + "\n";
    gauge("llmc:spec_decode_acceptance_rate",
          "Share of the drafted tokens the target accepted.",
          draftTokens_ ? double(acceptedTokens_) / double(draftTokens_) : 0.0);
  }
  byLabel("llmc:requests_ended",
          "Requests that ended other than by a stop or their length.", "reason",
          {"cancelled", "error"}, finished_);
  byLabel("llmc:requests_rejected",
          "Requests refused before they ran (429/503).", "reason",
          {"queue_full", "loading"}, rejected_);
  return out;
}

} // namespace llmc::runtime
