//===- Awq.h - AWQ: activation-aware scales and clipping for 4 bits -------===//
//
// Lin et al. 2023. Weights that meet large activations matter most, so
// before rounding each input channel c of a group of weights sharing one
// input is multiplied by s_c (and the input divided by it, folded into the
// op that makes the input): s = mean|x|^a / mean_w^(1-a), normalized, with
// the exponent a in {0, 1/20, ..., 19/20} minimizing the group's output
// error on calibration rows (mean_w: each channel's mean magnitude relative
// to its quantization group's largest). Then each (row, group) of a weight
// is clipped to the fraction of its range, in {1, 0.95, ..., 0.55}, that
// minimizes that group's contribution to the output error. The defaults of
// the reference implementation (n_grid 20, max_shrink 0.5, 512 sample
// tokens, duo scaling).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_AWQ_H
#define LLMC_PASSES_QUANT_AWQ_H

#include "passes/quant/QuantMath.h"

#include <vector>

namespace llmc::quant {

struct AwqSettings {
  int64_t group = 128;
  bool zeroPoint = true;
  int64_t grid = 20;
};

/// A weight [n, k] in row-major order.
struct Matrix {
  int64_t n = 0, k = 0;
  std::vector<float> values;
};

/// The per-input-channel scales s [k] for `weights` (all [*, k]) that
/// share inputs: `samples` [rows, k] and their mean magnitudes.
std::vector<float> searchAwqScales(const std::vector<const Matrix *> &weights,
                                   const std::vector<float> &samples,
                                   int64_t rows,
                                   const std::vector<float> &meanMagnitude,
                                   const AwqSettings &settings);

/// Clips each (row, group) of `w` in place to the range that minimizes its
/// output error on `samples` [rows, k] after rounding.
void clipAwq(Matrix &w, const std::vector<float> &samples, int64_t rows,
             const AwqSettings &settings);

/// Round-to-nearest, then back to real values (what a weight becomes).
std::vector<float> roundTrip(const Matrix &w, int64_t group, bool zeroPoint);

} // namespace llmc::quant

#endif // LLMC_PASSES_QUANT_AWQ_H
