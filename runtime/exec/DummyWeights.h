//===- DummyWeights.h - the weights of a shape-only artifact --------------===//
//
// `llmc compile --dummy-weights` leaves the float and quantized weights out
// of the artifact (as TensorRT-LLM's benchmarks build engines of large
// models without their checkpoints); Program::load fills each with these
// pseudo-random values, the same on every load and machine (seeded by the
// weight's number). Floats are uniform in [-0.05, 0.05]; quantized weights
// get random codes, small positive scales and in-range zero points, so
// every kernel computes on finite numbers.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_DUMMYWEIGHTS_H
#define LLMC_RUNTIME_EXEC_DUMMYWEIGHTS_H

#include "runtime/exec/Tensor.h"
#include "runtime/format/QuantLayout.h"

#include <vector>

namespace llmc::runtime {

/// Fills `bytes` with values of `dtype` (f32, f16 or bf16); false for
/// other types.
bool fillDummyFloats(DType dtype, int32_t seed, std::vector<uint8_t> &bytes);

/// Fills a quantized weight's section laid out as `layout`.
void fillDummyQuant(const format::QuantSectionLayout &layout,
                    format::QuantCodes codes, bool halfScales, int32_t seed,
                    std::vector<uint8_t> &bytes);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_DUMMYWEIGHTS_H
