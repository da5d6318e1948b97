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

namespace llmc::runtime {

/// Per axis: the first element, the step between elements (in elements of
/// that axis) and the extent.
struct Window {
  std::vector<int64_t> offsets, strides;
  Shape shape;
};

/// The window of a slice step (params `offsets`, negative counting from
/// the end, and `strides`; extents as declared) over `in`.
Expected<Window> sliceWindow(const KernelContext &c, const Tensor &in);

/// The windows of a split step's pieces along param `axis` (declared
/// extents, else ONNX's even split), which must cover the axis.
Expected<std::vector<Window>> splitWindows(const KernelContext &c,
                                           const Tensor &in);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_WINDOW_H
