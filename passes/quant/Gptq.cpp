//===- Gptq.cpp - GPTQ: 4-bit rounding that compensates its own error -----===//

#include "passes/quant/Gptq.h"

// layering: the error updates through the runtime's own fp32 linear
// (docs/architecture.md).
#include "kernels/cpu/Linear.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace llmc::quant {
namespace {

/// In-place lower Cholesky factor of the symmetric [k, k] matrix `a` (its
/// upper triangle is zeroed); false when it is not positive definite.
bool cholesky(std::vector<double> &a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double *rowJ = a.data() + j * k;
    double diagonal = rowJ[j];
    for (int64_t p = 0; p < j; ++p)
      diagonal -= rowJ[p] * rowJ[p];
    if (!(diagonal > 0.0))
      return false;
    double root = std::sqrt(diagonal);
    rowJ[j] = root;
    for (int64_t i = j + 1; i < k; ++i) {
      double *rowI = a.data() + i * k;
      double sum = rowI[j];
      for (int64_t p = 0; p < j; ++p)
        sum -= rowI[p] * rowJ[p];
      rowI[j] = sum / root;
    }
    for (int64_t i = j + 1; i < k; ++i)
      rowJ[i] = 0.0;
  }
  return true;
}

/// The inverse of L L^T from the lower factor L: (L^-1)^T L^-1.
std::vector<double> choleskyInverse(const std::vector<double> &l, int64_t k) {
  // M = L^-1, lower triangular, by forward substitution column by column.
  std::vector<double> m(k * k, 0.0);
  for (int64_t j = 0; j < k; ++j) {
    m[j * k + j] = 1.0 / l[j * k + j];
    for (int64_t i = j + 1; i < k; ++i) {
      double sum = 0.0;
      for (int64_t p = j; p < i; ++p)
        sum += l[i * k + p] * m[p * k + j];
      m[i * k + j] = -sum / l[i * k + i];
    }
  }
  // inverse[i][j] = sum_p M[p][i] M[p][j], p >= max(i, j).
  std::vector<double> inverse(k * k, 0.0);
  for (int64_t p = 0; p < k; ++p) {
    const double *row = m.data() + p * k;
    for (int64_t i = 0; i <= p; ++i) {
      double scaled = row[i];
      if (scaled == 0.0)
        continue;
      double *out = inverse.data() + i * k;
      for (int64_t j = 0; j <= p; ++j)
        out[j] += scaled * row[j];
    }
  }
  return inverse;
}

} // namespace

std::optional<Int4Matrix> quantizeInt4Gptq(const float *w, int64_t n, int64_t k,
                                           const std::vector<double> &gram,
                                           const GptqSettings &settings,
                                           std::string &error) {
  const int64_t group = settings.group, groups = k / group;
  std::vector<double> h(gram);
  std::vector<float> weights(w, w + n * k);
  // Inputs that never fired carry no information: zero their weights.
  for (int64_t i = 0; i < k; ++i)
    if (h[i * k + i] == 0.0) {
      h[i * k + i] = 1.0;
      for (int64_t r = 0; r < n; ++r)
        weights[r * k + i] = 0.0f;
    }

  Int4Matrix out;
  out.codes.assign(n * k, 0);
  out.scales.assign(n * groups, 1.0f);
  out.zeros.assign(n * groups, 0);
  auto setParams = [&](int64_t g, const float *source) {
    // `source` points at the group's first column in a row-major [n, k].
    for (int64_t r = 0; r < n; ++r) {
      const float *values = source + r * k;
      auto [low, high] = int4Range(values, group, settings.zeroPoint);
      GroupParams params = int4Params(low, high, settings.zeroPoint);
      out.scales[r * groups + g] = params.scale;
      out.zeros[r * groups + g] = params.zero;
    }
  };

  // Column order: natural, or by decreasing Hessian diagonal.
  std::vector<int64_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  if (settings.actOrder) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return h[a * k + a] > h[b * k + b];
    });
    for (int64_t g = 0; g < groups; ++g)
      setParams(g, weights.data() + g * group);
  }
  // Permuted copies: pw [n, k] and ph [k, k].
  std::vector<float> pw(n * k);
  std::vector<double> ph(k * k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < k; ++j)
      pw[r * k + j] = weights[r * k + order[j]];
  double mean = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < k; ++j)
      ph[i * k + j] = h[order[i] * k + order[j]];
    mean += ph[i * k + i];
  }
  mean /= k;

  // U, the upper Cholesky factor of H^-1 (H^-1 = U^T U): by damping until
  // H factors.
  std::vector<double> u;
  for (double damp = settings.damp; damp <= 1.0; damp *= 10.0) {
    std::vector<double> l(ph);
    for (int64_t i = 0; i < k; ++i)
      l[i * k + i] += damp * mean;
    if (!cholesky(l, k))
      continue;
    std::vector<double> inverse = choleskyInverse(l, k);
    if (!cholesky(inverse, k))
      continue;
    u.assign(k * k, 0.0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j <= i; ++j)
        u[j * k + i] = inverse[i * k + j];
    break;
  }
  if (u.empty()) {
    error = "the inputs' Hessian stays singular after damping";
    return std::nullopt;
  }

  const int64_t block = settings.block;
  std::vector<float> errors, update, tail;
  for (int64_t i1 = 0; i1 < k; i1 += block) {
    int64_t i2 = std::min(i1 + block, k), count = i2 - i1;
    errors.assign(n * count, 0.0f);
    for (int64_t i = i1; i < i2; ++i) {
      int64_t column = order[i];
      int64_t g = column / group;
      // Without act-order a group's parameters come from its weights as
      // the errors so far left them, when its first column is reached.
      if (!settings.actOrder && i % group == 0)
        setParams(g, pw.data() + i);
      double d = u[i * k + i];
      for (int64_t r = 0; r < n; ++r) {
        GroupParams params{out.scales[r * groups + g],
                           out.zeros[r * groups + g]};
        float value = pw[r * k + i];
        int32_t code = quantizeCode(value, params, kInt4Max);
        out.codes[r * k + column] = static_cast<uint8_t>(code);
        float rounded = (code - params.zero) * params.scale;
        float e = static_cast<float>((value - rounded) / d);
        errors[r * count + (i - i1)] = e;
        // Spread over the rest of the block now.
        float *row = pw.data() + r * k;
        const double *ui = u.data() + i * k;
        for (int64_t j = i + 1; j < i2; ++j)
          row[j] -= static_cast<float>(e * ui[j]);
      }
    }
    // And over the columns after the block: W[:, i2:] -= E U[i1:i2, i2:].
    int64_t rest = k - i2;
    if (rest == 0)
      continue;
    tail.resize(rest * count);
    for (int64_t j = 0; j < rest; ++j)
      for (int64_t i = 0; i < count; ++i)
        tail[j * count + i] = static_cast<float>(u[(i1 + i) * k + i2 + j]);
    update.resize(n * rest);
    kernels::linear(errors.data(), tail.data(), nullptr, update.data(), n, rest,
                    count);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < rest; ++j)
        pw[r * k + i2 + j] -= update[r * rest + j];
  }
  return out;
}

} // namespace llmc::quant
