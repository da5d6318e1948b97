//===- ServeMetrics.h - a server's counters in Prometheus text ------------===//
//
// What `GET /metrics` answers: the names and buckets vLLM exports (so a
// dashboard built for vLLM reads llmc unchanged) and llmc's own, prefixed
// "llmc:". Histograms and counters are fed by the scheduler as requests
// arrive, produce tokens and end; gauges are the engine's state when
// scraped. Text exposition format 0.0.4.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_SERVEMETRICS_H
#define LLMC_RUNTIME_SERVE_SERVEMETRICS_H

#include "runtime/serve/RequestStream.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace llmc::runtime {

/// The engine's state at a moment (Scheduler::gauges).
struct EngineGauges {
  int64_t running = 0, waiting = 0;
  /// The KV pool's blocks, and those running requests hold.
  int64_t kvBlocks = 0, kvHeldBlocks = 0;
  /// Whole blocks looked up in the prefix cache, and found.
  int64_t prefixLookups = 0, prefixHits = 0;
};

class ServeMetrics {
public:
  explicit ServeMetrics(std::string modelName);

  void admitted(int64_t promptTokens);
  /// A request's first token, `seconds` after it arrived.
  void firstToken(double seconds);
  /// A later token, `seconds` after the one before.
  void nextToken(double seconds);
  void finished(FinishReason reason, double seconds);
  /// A request refused before it ran ("queue_full", "loading").
  void rejected(const std::string &reason);
  void preempted();
  /// Speculative decoding with up to `draftTokens` per request and step:
  /// its metrics are rendered from now on.
  void speculating(int64_t draftTokens);
  /// One request's drafted tokens verified: `accepted` of `drafted` kept.
  void speculated(int64_t drafted, int64_t accepted);

  /// Every metric, the gauges from `engine`.
  std::string render(const EngineGauges &engine) const;

private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<int64_t> counts;
    double sum = 0;
    int64_t count = 0;
    void observe(double value);
  };
  void renderHistogram(std::string &out, const std::string &name,
                       const std::string &help, const Histogram &h) const;

  const std::string labels_;
  mutable std::mutex mutex_;
  Histogram ttft_, tpot_, e2e_;
  int64_t promptTokens_ = 0, generationTokens_ = 0, preemptions_ = 0;
  std::map<std::string, int64_t> finished_, rejected_;
  /// Speculative decoding: drafts verified, their tokens, those accepted,
  /// and per position those accepted there (empty: no draft).
  int64_t drafts_ = 0, draftTokens_ = 0, acceptedTokens_ = 0;
  std::vector<int64_t> acceptedAt_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_SERVEMETRICS_H
