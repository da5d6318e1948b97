//===- Window.h - the windows that slice and split steps copy -------------===//
//
// A slice step copies one window of its operand, a split step one window
// per piece; which windows, and whether they fit, is the same question on
// every device, answered here. The devices' kernels do the copying.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_WINDOW_H
#define LLMC_RUNTIME_EXEC_WINDOW_H

#include "runtime/exec/Kernel.h"

#include <functional>

namespace llmc::runtime {

/// Per axis: the first element, the step between elements (in elements of
/// that axis) and the extent.
struct Window {
  std::vector<int64_t> offsets, strides;
  Shape shape;
};

/// A device's copy of `window` of `in` into contiguous `out`.
using WindowCopy =
    std::function<Status(const Tensor &in, const Window &window, uint8_t *out)>;

/// Runs a slice step (`split` false) or a split step: checks its one
/// operand, and per window sets the output's shape and has `copy` fill it.
/// A slice's window: params `offsets` (negative counting from the end) and
/// `strides`, extents as declared. A split's: one per piece along param
/// `axis` (declared extents, else ONNX's even split), covering the axis.
Status copyWindows(KernelContext &c, bool split, const WindowCopy &copy);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_WINDOW_H
