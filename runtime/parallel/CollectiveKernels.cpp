//===- CollectiveKernels.cpp - a sharded plan's talk between ranks --------===//
//
// See CollectiveKernels.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/parallel/CollectiveKernels.h"

#include "runtime/parallel/Communicator.h"

namespace llmc::runtime::collective {

namespace {

/// The links of a rank of a sharded run, or why the call cannot run.
Expected<const RankLinks *> linksFor(const KernelContext &c) {
  if (!c.links || !c.links->stage || !c.links->world)
    return Status::error(std::string(c.params.kernel().name) +
                         ": the model is sharded over ranks, but this run "
                         "has one: start it with mpirun -np N");
  return c.links;
}

/// The stage's ranks, checked against the call's `ranks`.
Expected<Communicator *> stageOf(const KernelContext &c) {
  LLMC_PARAM(links, linksFor(c));
  LLMC_PARAM(ranks, c.params.integer("ranks"));
  if (links->stage->size() != ranks)
    return Status::error(std::string(c.params.kernel().name) + " over " +
                         std::to_string(ranks) +
                         " ranks, but this rank's stage has " +
                         std::to_string(links->stage->size()));
  return links->stage;
}

/// The world rank of this rank's tensor-parallel peer in stage `stage`.
Expected<int64_t> peerIn(const KernelContext &c) {
  LLMC_PARAM(links, linksFor(c));
  LLMC_PARAM(stage, c.params.integer("stage"));
  const int64_t peer = stage * links->tp + links->stage->rank();
  if (stage < 0 || peer >= links->world->size())
    return Status::error(std::string(c.params.kernel().name) + ": stage " +
                         std::to_string(stage) + " is not among the " +
                         std::to_string(links->world->size() / links->tp) +
                         " stages of this run");
  return peer;
}

} // namespace

Status allReduce(KernelContext &c) {
  LLMC_PARAM(stage, stageOf(c));
  const Tensor &x = *c.inputs[0];
  LLMC_CHECK(c.setOutput(0, x.shape));
  return stage->allReduceSum(x.data, c.outputs[0]->data, x.elements(), x.dtype);
}

Status allGather(KernelContext &c) {
  LLMC_PARAM(stage, stageOf(c));
  LLMC_PARAM(axis, c.params.integer("axis"));
  const Tensor &x = *c.inputs[0];
  if (axis < 0 || axis >= x.rank())
    return Status::error("all_gather axis " + std::to_string(axis) +
                         " is outside " + shapeString(x.shape));
  Shape shape = x.shape;
  shape[axis] *= stage->size();
  LLMC_CHECK(c.setOutput(0, shape));
  int64_t rows = 1;
  for (int64_t d = 0; d < axis; ++d)
    rows *= x.shape[d];
  const int64_t columns = rows > 0 ? x.elements() / rows : 0;
  return stage->allGather(x.data, c.outputs[0]->data, rows, columns, x.dtype);
}

Status send(KernelContext &c) {
  LLMC_PARAM(peer, peerIn(c));
  const Tensor &x = *c.inputs[0];
  return c.links->world->send(x.data, uint64_t(x.bytes()), peer);
}

Status recv(KernelContext &c) {
  LLMC_PARAM(peer, peerIn(c));
  // The sender's tensor has the declared shape: the same symbols, bound
  // by the same call on both stages.
  const Shape &shape = c.declared[0];
  for (int64_t extent : shape)
    if (extent < 0)
      return Status::error("recv of " + shapeString(shape) +
                           ": an extent the call does not bind");
  LLMC_CHECK(c.setOutput(0, shape));
  return c.links->world->recv(c.outputs[0]->data,
                              uint64_t(c.outputs[0]->bytes()), peer);
}

} // namespace llmc::runtime::collective
