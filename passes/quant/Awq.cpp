//===- Awq.cpp - AWQ: activation-aware scales and clipping for 4 bits -----===//

#include "passes/quant/Awq.h"

// layering: the products the scales and clips are scored by are the
// runtime's own fp32 linear (docs/architecture.md).
#include "kernels/cpu/Linear.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llmc::quant {

std::vector<float> roundTrip(const Matrix &w, int64_t group, bool zeroPoint) {
  return dequantizeInt4(
      quantizeInt4Rtn(w.values.data(), w.n, w.k, group, zeroPoint), w.n, w.k,
      group);
}

namespace {

/// Sum of squared differences between x w^T and x q^T for rows of x.
double outputError(const std::vector<float> &x, int64_t rows, int64_t k,
                   const std::vector<float> &reference,
                   const std::vector<float> &q, int64_t n,
                   std::vector<float> &buffer) {
  buffer.resize(rows * n);
  kernels::linear(x.data(), q.data(), nullptr, buffer.data(), rows, n, k);
  double sum = 0.0;
  for (int64_t i = 0; i < rows * n; ++i) {
    double d = double(buffer[i]) - reference[i];
    sum += d * d;
  }
  return sum;
}

} // namespace

std::vector<float> searchAwqScales(const std::vector<const Matrix *> &weights,
                                   const std::vector<float> &samples,
                                   int64_t rows,
                                   const std::vector<float> &meanMagnitude,
                                   const AwqSettings &settings) {
  const int64_t k = weights.front()->k, group = settings.group;
  // Each channel's mean weight magnitude, relative to the largest of its
  // quantization group, over the rows of every weight.
  std::vector<double> weightMean(k, 0.0);
  int64_t totalRows = 0;
  for (const Matrix *w : weights) {
    for (int64_t r = 0; r < w->n; ++r)
      for (int64_t g = 0; g < k / group; ++g) {
        const float *values = w->values.data() + r * k + g * group;
        float largest = 0.0f;
        for (int64_t l = 0; l < group; ++l)
          largest = std::max(largest, std::fabs(values[l]));
        for (int64_t l = 0; l < group; ++l)
          weightMean[g * group + l] +=
              largest > 0.0f ? std::fabs(values[l]) / largest : 0.0f;
      }
    totalRows += w->n;
  }
  for (double &mean : weightMean)
    mean /= totalRows;

  std::vector<std::vector<float>> references;
  std::vector<float> buffer;
  for (const Matrix *w : weights) {
    references.emplace_back(rows * w->n);
    kernels::linear(samples.data(), w->values.data(), nullptr,
                    references.back().data(), rows, w->n, k);
  }
  double bestError = std::numeric_limits<double>::infinity();
  std::vector<float> best(k, 1.0f), scales(k), unscaled(k);
  Matrix scaled;
  for (int64_t step = 0; step < settings.grid; ++step) {
    double ratio = double(step) / settings.grid;
    float low = std::numeric_limits<float>::infinity(), high = 0.0f;
    for (int64_t c = 0; c < k; ++c) {
      double s = std::pow(std::max<double>(meanMagnitude[c], 1e-4), ratio) /
                 (std::pow(std::max(weightMean[c], 1e-4), 1.0 - ratio) + 1e-4);
      scales[c] = static_cast<float>(std::max(s, 1e-4));
      low = std::min(low, scales[c]);
      high = std::max(high, scales[c]);
    }
    float norm = std::sqrt(low * high);
    for (float &s : scales)
      s /= norm;
    // Each weight rounded with its columns scaled, then unscaled: what the
    // inputs (divided by s) meet.
    double error = 0.0;
    for (size_t i = 0; i < weights.size(); ++i) {
      const Matrix &w = *weights[i];
      scaled.n = w.n;
      scaled.k = k;
      scaled.values.resize(w.n * k);
      for (int64_t r = 0; r < w.n; ++r)
        for (int64_t c = 0; c < k; ++c)
          scaled.values[r * k + c] = w.values[r * k + c] * scales[c];
      std::vector<float> q = roundTrip(scaled, group, settings.zeroPoint);
      for (int64_t r = 0; r < w.n; ++r)
        for (int64_t c = 0; c < k; ++c)
          q[r * k + c] /= scales[c];
      error += outputError(samples, rows, k, references[i], q, w.n, buffer) /
               (rows * w.n);
    }
    if (error < bestError) {
      bestError = error;
      best = scales;
    }
  }
  return best;
}

void clipAwq(Matrix &w, const std::vector<float> &samples, int64_t rows,
             const AwqSettings &settings) {
  const int64_t n = w.n, k = w.k, group = settings.group;
  const int64_t candidates = settings.grid / 2; // shrink down to 0.5
  std::vector<float> x(rows * group), original(n * group), clipped(n * group),
      reference(rows * n), output(rows * n);
  for (int64_t g = 0; g < k / group; ++g) {
    for (int64_t s = 0; s < rows; ++s)
      std::copy_n(samples.data() + s * k + g * group, group,
                  x.data() + s * group);
    for (int64_t r = 0; r < n; ++r)
      std::copy_n(w.values.data() + r * k + g * group, group,
                  original.data() + r * group);
    kernels::linear(x.data(), original.data(), nullptr, reference.data(), rows,
                    n, group);
    std::vector<double> bestError(n, std::numeric_limits<double>::infinity());
    std::vector<float> bestShrink(n, 1.0f);
    for (int64_t c = 0; c < candidates; ++c) {
      float shrink = 1.0f - float(c) / settings.grid;
      for (int64_t r = 0; r < n; ++r) {
        const float *values = original.data() + r * group;
        auto [low, high] = int4Range(values, group, settings.zeroPoint);
        float bottom = low * shrink, top = high * shrink;
        GroupParams params = int4Params(bottom, top, settings.zeroPoint);
        for (int64_t l = 0; l < group; ++l) {
          float v = std::clamp(values[l], bottom, top);
          int32_t code = quantizeCode(v, params, kInt4Max);
          clipped[r * group + l] = (code - params.zero) * params.scale;
        }
      }
      kernels::linear(x.data(), clipped.data(), nullptr, output.data(), rows, n,
                      group);
      for (int64_t r = 0; r < n; ++r) {
        double error = 0.0;
        for (int64_t s = 0; s < rows; ++s) {
          double d = double(output[s * n + r]) - reference[s * n + r];
          error += d * d;
        }
        if (error < bestError[r]) {
          bestError[r] = error;
          bestShrink[r] = shrink;
        }
      }
    }
    for (int64_t r = 0; r < n; ++r) {
      float *values = w.values.data() + r * k + g * group;
      auto [low, high] = int4Range(values, group, settings.zeroPoint);
      for (int64_t l = 0; l < group; ++l)
        values[l] =
            std::clamp(values[l], low * bestShrink[r], high * bestShrink[r]);
    }
  }
}

} // namespace llmc::quant
