//===- Window.cpp - the windows that slice and split steps copy -----------===//

#include "runtime/exec/Window.h"

#include <algorithm>

namespace llmc::runtime {

namespace {

Expected<Window> sliceWindow(const KernelContext &c, const Tensor &in) {
  LLMC_PARAM(starts, c.params.ints("offsets"));
  LLMC_PARAM(strides, c.params.ints("strides"));
  Window window{*starts, *strides, c.declared[0]};
  std::vector<int64_t> &offsets = window.offsets;
  const Shape &shape = window.shape;
  if (offsets.size() != static_cast<size_t>(in.rank()) ||
      window.strides.size() != offsets.size() || shape.size() != offsets.size())
    return Status::error("slice offsets/strides do not match rank " +
                         std::to_string(in.rank()));
  for (size_t d = 0; d < offsets.size(); ++d) {
    if (shape[d] < 0)
      return Status::error("slice needs a known result extent");
    if (offsets[d] < 0)
      offsets[d] += in.shape[d];
    int64_t last = offsets[d] + (shape[d] - 1) * window.strides[d];
    if (shape[d] > 0 && (offsets[d] < 0 || offsets[d] >= in.shape[d] ||
                         last < 0 || last >= in.shape[d]))
      return Status::error("slice window leaves axis " + std::to_string(d) +
                           " of " + shapeString(in.shape));
  }
  return window;
}

Expected<std::vector<Window>> splitWindows(const KernelContext &c,
                                           const Tensor &in) {
  LLMC_PARAM(axis, c.params.integer("axis"));
  if (axis < 0)
    axis += in.rank();
  if (axis < 0 || axis >= in.rank())
    return Status::error("split axis out of range");
  int64_t pieces = static_cast<int64_t>(c.outputs.size());
  int64_t extent = in.shape[axis], even = (extent + pieces - 1) / pieces;
  std::vector<Window> windows;
  std::vector<int64_t> offsets(in.rank(), 0), strides(in.rank(), 1);
  for (int64_t i = 0; i < pieces; ++i) {
    Shape shape = in.shape;
    int64_t declared = c.declared[i][axis];
    shape[axis] =
        declared >= 0
            ? declared
            : std::max<int64_t>(0, std::min(even, extent - offsets[axis]));
    if (offsets[axis] + shape[axis] > extent)
      return Status::error("split pieces exceed axis extent " +
                           std::to_string(extent));
    windows.push_back({offsets, strides, shape});
    offsets[axis] += shape[axis];
  }
  if (offsets[axis] != extent)
    return Status::error("split pieces cover " + std::to_string(offsets[axis]) +
                         " of " + std::to_string(extent));
  return windows;
}

} // namespace

Status copyWindows(KernelContext &c, bool split, const WindowCopy &copy) {
  const char *step = split ? "split" : "slice";
  if (c.inputs.empty() || !c.inputs[0])
    return Status::error(std::string(step) + " takes one operand");
  const Tensor &in = *c.inputs[0];
  std::vector<Window> windows;
  if (split) {
    Expected<std::vector<Window>> pieces = splitWindows(c, in);
    if (!pieces)
      return pieces.status();
    windows = std::move(*pieces);
  } else {
    Expected<Window> window = sliceWindow(c, in);
    if (!window)
      return window.status();
    windows.push_back(std::move(*window));
  }
  for (size_t i = 0; i < windows.size(); ++i) {
    LLMC_CHECK(c.setOutput(i, windows[i].shape));
    LLMC_CHECK(copy(in, windows[i], c.outputs[i]->data));
  }
  return Status::success();
}

} // namespace llmc::runtime
