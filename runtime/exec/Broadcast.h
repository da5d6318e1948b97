//===- Broadcast.h - numpy broadcasting of shapes -------------------------===//
//
// Which shape two operands broadcast to, and how an operand is read as a
// larger shape, are the same question on every device: the CPU's
// broadcasting kernels and both devices' expand steps ask it here.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_BROADCAST_H
#define LLMC_RUNTIME_EXEC_BROADCAST_H

#include "runtime/exec/Kernel.h"
#include "runtime/exec/Tensor.h"
#include "runtime/format/Status.h"

#include <vector>

namespace llmc::runtime {

/// Numpy broadcasting of two shapes, or an error.
Expected<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// Element strides of `shape` read as the broadcast `out` (0 along
/// broadcast axes).
std::vector<int64_t> broadcastStrides(const Shape &shape, const Shape &out);

/// An expand step's reading of `in` as `out`: broadcastStrides, once `out`
/// is known and `in` broadcasts to exactly it; else an error naming both.
Expected<std::vector<int64_t>> expandStrides(const Shape &in, const Shape &out);

/// An expand step's start on any device: checks its one operand, sets its
/// output's shape, and gives the operand's strides as that shape (the
/// device's kernel then copies).
Expected<std::vector<int64_t>> startExpand(KernelContext &c);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_BROADCAST_H
