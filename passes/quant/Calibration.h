//===- Calibration.h - what calibration saw at the inputs of weights
//-------===//
//
// GPTQ needs each weight's input Gram matrix (its Hessian up to a factor)
// and AWQ the mean magnitude of each input channel and a sample of input
// rows. The compiler gathers them by running the model on llmc's CPU
// runtime (compiler/calibration); the quantization passes read them here,
// by weight. Tests without a model can ask for synthetic statistics.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_CALIBRATION_H
#define LLMC_PASSES_QUANT_CALIBRATION_H

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <utility>
#include <vector>

namespace llmc::quant {

/// A weight as calibration and the passes name it: its constant's data
/// (the attribute's opaque pointer) and whether the IR reads it transposed.
using WeightKey = std::pair<const void *, bool>;

/// The statistics of the rows x [k] that reached one weight.
class InputStats {
public:
  explicit InputStats(int64_t k, int64_t maxSamples = 512);

  /// Everything the statistics hold, for a statistics file
  /// (StatisticsFile.h); `magnitude` is the sum of |x|, not the mean.
  struct Parts {
    int64_t k = 0, maxSamples = 0, tokens = 0, sampleRows = 0;
    float max = 0.0f;
    std::vector<double> gram, magnitude;
    std::vector<float> samples;
  };
  Parts parts() const;
  /// Statistics as parts() gave them (their sampling does not go on).
  explicit InputStats(Parts parts);

  /// Adds `count` rows of `k` floats.
  void add(const float *rows, int64_t count);

  int64_t width() const { return k_; }
  int64_t tokens() const { return tokens_; }
  /// sum over rows of x x^T, [k, k] row-major.
  const std::vector<double> &gram() const { return gram_; }
  /// mean over rows of |x|, [k].
  std::vector<float> meanMagnitude() const;
  /// The largest |x| seen.
  float maxMagnitude() const { return max_; }
  /// A uniform sample of the rows (reservoir, fixed seed): [rows, k].
  const std::vector<float> &samples() const { return samples_; }
  int64_t sampleRows() const { return sampleRows_; }

private:
  int64_t k_, maxSamples_, tokens_ = 0, sampleRows_ = 0;
  float max_ = 0.0f;
  std::vector<double> gram_, magnitude_;
  std::vector<float> samples_;
  std::mt19937_64 engine_{0};
};

struct CalibrationData {
  std::map<WeightKey, std::shared_ptr<InputStats>> byWeight;
  /// How many sequences and tokens were run.
  int64_t sequences = 0, tokens = 0;
  /// The next-token negative log-likelihood summed over the `predicted`
  /// positions that have a next token (a sequence's last has none).
  double nll = 0;
  int64_t predicted = 0;
  double meanLoss() const { return predicted > 0 ? nll / predicted : 0.0; }

  const InputStats *find(const WeightKey &key) const {
    auto found = byWeight.find(key);
    return found == byWeight.end() ? nullptr : found->second.get();
  }
};

/// ||X (q - w)^T||^2 / ||X w^T||^2 over every row X saw, for a weight
/// `w` [n, k] and its quantized values `q`, through the rows' Gram matrix
/// `gram` [k, k].
double relativeOutputError(const std::vector<double> &gram, const float *w,
                           const float *q, int64_t n, int64_t k);

/// `rows` rows of independent standard normal inputs of width `k` (fixed
/// seed): for lit tests of the passes on hand-written IR.
std::shared_ptr<InputStats> syntheticStats(int64_t k, int64_t rows);

} // namespace llmc::quant

#endif // LLMC_PASSES_QUANT_CALIBRATION_H
