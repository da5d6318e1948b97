//===- Sampling.h - what the sampler needs of each row of logits ----------===//
//
// A sampler that depends only on part of a row (runtime/sampler/
// Candidates.h: the k most likely tokens for greedy and top-k; the tokens
// holding `mass` of the softmax for top-p alone) gets that part from the
// GPU instead of the whole row: per row, every token whose logit is at
// least a threshold found by bisection on the value (counting the tokens
// at or above it, or summing their softmax weights), with its logit as
// stored, in no particular order, and for a mass the softmax weight of the
// tokens left out. The host sampler then draws what it would from the
// whole row (Sampler::sampleCandidates).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_SAMPLING_H
#define LLMC_KERNELS_CUDA_SAMPLING_H

#include "kernels/cuda/Transformer.h"

namespace llmc::kernels::cuda {

/// k > 0: the tokens at or above the k-th largest logit; else the tokens
/// at or above the largest threshold whose tokens hold `mass` (0, 1] of
/// softmax(logits / temperature).
struct CandidateRequest {
  int64_t k = 0;
  float mass = 0.0f, temperature = 1.0f;
};

/// values, ids: [rows, capacity]; counts[row]: how many were found (more
/// than capacity when they do not all fit, and then only capacity are
/// written); rests[row]: the sum of exp((l - max) / temperature) over the
/// tokens left out (mass requests; 0 for k).
cudaError_t selectCandidates(Storage type, const void *logits, int64_t rows,
                             int64_t vocab, const CandidateRequest &request,
                             int64_t capacity, float *values, int64_t *ids,
                             int64_t *counts, float *rests,
                             cudaStream_t stream);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_SAMPLING_H
