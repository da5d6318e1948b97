//===- Sampling.h - what the sampler needs of each row of logits ----------===//
//
// A sampler that depends only on a row's k most likely tokens (greedy:
// k = 1; top-k; Sampler::candidatesNeeded) gets them from the GPU instead
// of the whole row: per row, every token whose logit is at least the k-th
// largest (found by bisection on the value, counting over the row), with
// its logit as stored, in no particular order. The host sampler then draws
// exactly what it would from the whole row (Sampler::sampleCandidates).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_KERNELS_CUDA_SAMPLING_H
#define LLMC_KERNELS_CUDA_SAMPLING_H

#include "kernels/cuda/Transformer.h"

namespace llmc::kernels::cuda {

/// values, ids: [rows, capacity]; counts[row]: how many were found (more
/// than capacity when they do not all fit, and then only capacity are
/// written).
cudaError_t topCandidates(Storage type, const void *logits, int64_t rows,
                          int64_t vocab, int64_t k, int64_t capacity,
                          float *values, int64_t *ids, int64_t *counts,
                          cudaStream_t stream);

} // namespace llmc::kernels::cuda

#endif // LLMC_KERNELS_CUDA_SAMPLING_H
