//===- Gptq.h - GPTQ: 4-bit rounding that compensates its own error -------===//
//
// Frantar et al. 2022: a weight's columns are quantized one at a time, and
// each column's rounding error is spread over the columns not yet
// quantized, weighted by the inverse of the layer's Hessian H = 2 X^T X
// (X: the calibration inputs), which minimizes the output error
// ||X W^T - X Q^T||. As in the reference implementation: H is damped by a
// fraction of its mean diagonal, its inverse is taken through Cholesky
// factors, columns go in blocks of 128 with the error propagated lazily,
// inputs that never fired are zeroed, and with act-order the columns go in
// order of decreasing H diagonal, with each group's scale and zero point
// fixed beforehand from the weights ("static groups") so that groups stay
// contiguous in the stored layout.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_GPTQ_H
#define LLMC_PASSES_QUANT_GPTQ_H

#include "passes/quant/QuantMath.h"

#include <optional>
#include <string>
#include <vector>

namespace llmc::quant {

struct GptqSettings {
  int64_t group = 128;
  bool zeroPoint = true;
  bool actOrder = false;
  double damp = 0.01;
  int64_t block = 128;
};

/// GPTQ of `w` [n, k] given its inputs' Gram matrix `gram` [k, k] (sum of
/// x x^T). Fails (with `error` set) when H stays singular after damping.
std::optional<Int4Matrix> quantizeInt4Gptq(const float *w, int64_t n, int64_t k,
                                           const std::vector<double> &gram,
                                           const GptqSettings &settings,
                                           std::string &error);

} // namespace llmc::quant

#endif // LLMC_PASSES_QUANT_GPTQ_H
