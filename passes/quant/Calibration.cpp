//===- Calibration.cpp - what calibration saw at the inputs of weights
//-----===//

#include "passes/quant/Calibration.h"

// layering: Gram matrices through the runtime's own fp32 linear (OpenBLAS
// beyond 8 rows), so their products are the runtime's (docs/architecture.md).
#include "kernels/cpu/Linear.h"

#include <algorithm>
#include <cmath>

namespace llmc::quant {

InputStats::InputStats(int64_t k, int64_t maxSamples)
    : k_(k), maxSamples_(maxSamples), gram_(k * k, 0.0), magnitude_(k, 0.0) {}

InputStats::InputStats(Parts parts)
    : k_(parts.k), maxSamples_(parts.maxSamples), tokens_(parts.tokens),
      sampleRows_(parts.sampleRows), max_(parts.max),
      gram_(std::move(parts.gram)), magnitude_(std::move(parts.magnitude)),
      samples_(std::move(parts.samples)) {}

InputStats::Parts InputStats::parts() const {
  return {k_,   maxSamples_, tokens_,    sampleRows_,
          max_, gram_,       magnitude_, samples_};
}

void InputStats::add(const float *rows, int64_t count) {
  // The Gram matrix of the block, X^T X, by the GEMM: y = A A^T with
  // A = X^T [k, count].
  std::vector<float> transposed(k_ * count), block(k_ * k_);
  for (int64_t r = 0; r < count; ++r)
    for (int64_t c = 0; c < k_; ++c)
      transposed[c * count + r] = rows[r * k_ + c];
  kernels::linear(transposed.data(), transposed.data(), nullptr, block.data(),
                  k_, k_, count);
  for (int64_t i = 0; i < k_ * k_; ++i)
    gram_[i] += block[i];
  for (int64_t r = 0; r < count; ++r) {
    const float *row = rows + r * k_;
    for (int64_t c = 0; c < k_; ++c) {
      magnitude_[c] += std::fabs(row[c]);
      max_ = std::max(max_, std::fabs(row[c]));
    }
    // Reservoir sampling keeps a uniform sample of every row seen.
    int64_t seen = tokens_ + r;
    int64_t slot = seen;
    if (seen >= maxSamples_)
      slot = std::uniform_int_distribution<int64_t>(0, seen)(engine_);
    if (slot < maxSamples_) {
      if (slot >= sampleRows_) {
        samples_.resize((slot + 1) * k_);
        sampleRows_ = slot + 1;
      }
      std::copy(row, row + k_, samples_.begin() + slot * k_);
    }
  }
  tokens_ += count;
}

std::vector<float> InputStats::meanMagnitude() const {
  std::vector<float> out(k_);
  for (int64_t c = 0; c < k_; ++c)
    out[c] = tokens_ ? static_cast<float>(magnitude_[c] / tokens_) : 0.0f;
  return out;
}

double relativeOutputError(const std::vector<double> &gramMatrix,
                           const float *w, const float *q, int64_t n,
                           int64_t k) {
  // sum_r d_r G d_r^T for d = q - w and for d = w, G as f32 for the GEMM.
  std::vector<float> gram(gramMatrix.begin(), gramMatrix.end());
  std::vector<float> diff(n * k), product(n * k);
  auto quadratic = [&](const float *d) {
    kernels::linear(d, gram.data(), nullptr, product.data(), n, k, k);
    double sum = 0.0;
    for (int64_t i = 0; i < n * k; ++i)
      sum += double(product[i]) * d[i];
    return sum;
  };
  for (int64_t i = 0; i < n * k; ++i)
    diff[i] = q[i] - w[i];
  double signal = quadratic(w);
  return signal > 0.0 ? quadratic(diff.data()) / signal : 0.0;
}

std::shared_ptr<InputStats> syntheticStats(int64_t k, int64_t rows) {
  auto stats = std::make_shared<InputStats>(k);
  std::mt19937 engine(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> data(k * rows);
  for (float &x : data)
    x = normal(engine);
  stats->add(data.data(), rows);
  return stats;
}

} // namespace llmc::quant
