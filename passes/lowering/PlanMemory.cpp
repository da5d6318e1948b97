//===- PlanMemory.cpp - one arena per entry point, reused by liveness -----===//
//
// See Passes.td: plan-memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "dialects/plan/IR/PlanOps.h"
#include "passes/lowering/EntrySymbols.h"
#include "runtime/format/KernelContract.h"

namespace llmc {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

constexpr int64_t kAlignment = 64;

struct Buffer {
  plan::CallOp call;
  /// The call's result it holds, or -1 for the call's scratch.
  int64_t result;
  int64_t bytes, first, last, offset = -1;
};

/// The bytes of scratch the contract's rules ask for `call`, its operands
/// bound by `symbols`: for the call, and for each worker thread (0: none);
/// or failure.
FailureOr<std::pair<int64_t, int64_t>>
scratchBytes(plan::CallOp call, ArrayRef<SymbolBinding> symbols) {
  const format::KernelDecl *kernel = format::findKernel(call.getKernel());
  if (!kernel || (!kernel->scratchBytes && !kernel->workerScratchBytes))
    return std::make_pair(int64_t(0), int64_t(0));
  format::CallShapes shapes;
  for (Value arg : call.getArgsByPosition()) {
    if (!arg) {
      shapes.operands.emplace_back();
      shapes.quantGroups.push_back(0);
      shapes.elementBytes.push_back(4);
      continue;
    }
    Type type = arg.getType();
    FailureOr<SmallVector<int64_t>> shape =
        boundShape(type, symbols, call.getLoc());
    if (failed(shape))
      return failure();
    shapes.operands.emplace_back(shape->begin(), shape->end());
    auto qweight = dyn_cast<QWeightType>(type);
    shapes.quantGroups.push_back(qweight ? qweight.getInputsPerScale() : 0);
    auto tensor = dyn_cast<RankedTensorType>(type);
    shapes.elementBytes.push_back(tensor ? elementBytes(tensor.getElementType())
                                         : 4);
  }
  for (NamedAttribute param : call.getParams())
    shapes.params.push_back(param.getName().str());
  return std::make_pair(
      kernel->scratchBytes ? kernel->scratchBytes(shapes) : 0,
      kernel->workerScratchBytes ? kernel->workerScratchBytes(shapes) : 0);
}

struct PlanMemory : llmc::impl::PlanMemoryBase<PlanMemory> {
  using PlanMemoryBase::PlanMemoryBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto cache = module->getAttrOfType<DictionaryAttr>("llmc.kv_cache");
    int64_t maxSeq = maxSeqOption;
    if (cache)
      if (auto seq = cache.getAs<IntegerAttr>("max_seq"))
        maxSeq = seq.getInt();
    if (maxBatch < 1 || maxSeq < 1) {
      module.emitError("plan-memory: max-batch and max-seq must be positive");
      return signalPassFailure();
    }
    for (auto function : module.getOps<func::FuncOp>())
      if (failed(plan(function, maxSeq)))
        return signalPassFailure();
  }

  LogicalResult plan(func::FuncOp function, int64_t maxSeq) {
    SmallVector<SymbolBinding> symbols =
        bindEntrySymbols(function, maxBatch, maxSeq);
    // Each value's storage: the buffer of a call result, or none (weights,
    // arguments); views and in-place results share their source's.
    DenseMap<Value, int64_t> storage;
    SmallVector<Buffer> buffers;
    int64_t index = 0, workerScratch = 0;
    for (Operation &op : function.getBody().getOps()) {
      ++index;
      for (Value operand : op.getOperands()) {
        auto found = storage.find(operand);
        if (found != storage.end())
          buffers[found->second].last = index;
      }
      if (auto view = dyn_cast<plan::ViewOp>(op)) {
        auto found = storage.find(view.getSource());
        if (found != storage.end())
          storage[view.getResult()] = found->second;
        continue;
      }
      if (isa<func::ReturnOp>(op)) {
        for (Value operand : op.getOperands()) {
          auto found = storage.find(operand);
          if (found != storage.end())
            buffers[found->second].last = INT64_MAX;
        }
        continue;
      }
      auto call = dyn_cast<plan::CallOp>(op);
      if (!call)
        continue;
      std::optional<ArrayRef<int64_t>> aliases = call.getAliases();
      for (auto [result, value] : llvm::enumerate(call.getResults())) {
        if (aliases && (*aliases)[result] >= 0) {
          auto found = storage.find(call.getArgs()[(*aliases)[result]]);
          if (found != storage.end())
            storage[value] = found->second;
          continue;
        }
        FailureOr<int64_t> bytes =
            boundBytes(value.getType(), symbols, call.getLoc());
        if (failed(bytes))
          return failure();
        storage[value] = buffers.size();
        buffers.push_back(
            {call, static_cast<int64_t>(result),
             static_cast<int64_t>(llvm::alignTo(*bytes, kAlignment)), index,
             index});
      }
      if (kernelScratch) {
        FailureOr<std::pair<int64_t, int64_t>> scratch =
            scratchBytes(call, symbols);
        if (failed(scratch))
          return failure();
        // Alive only while the call runs.
        if (scratch->first > 0)
          buffers.push_back(
              {call, -1,
               static_cast<int64_t>(llvm::alignTo(scratch->first, kAlignment)),
               index, index});
        workerScratch = std::max<int64_t>(
            workerScratch, llvm::alignTo(scratch->second, kAlignment));
      }
    }

    // Largest first, each at the lowest offset clear of the buffers already
    // placed whose lifetimes overlap its own.
    SmallVector<Buffer *> order;
    for (Buffer &buffer : buffers)
      order.push_back(&buffer);
    llvm::stable_sort(order,
                      [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    int64_t arena = 0;
    SmallVector<Buffer *> placed;
    for (Buffer *buffer : order) {
      SmallVector<std::pair<int64_t, int64_t>> taken;
      for (Buffer *other : placed)
        if (other->first <= buffer->last && buffer->first <= other->last)
          taken.push_back({other->offset, other->offset + other->bytes});
      llvm::sort(taken);
      int64_t offset = 0;
      for (auto [begin, end] : taken) {
        if (offset + buffer->bytes <= begin)
          break;
        offset = std::max(offset, end);
      }
      buffer->offset = offset;
      arena = std::max(arena, offset + buffer->bytes);
      placed.push_back(buffer);
    }

    Builder b(function.getContext());
    function.walk([&](plan::CallOp call) {
      call.setOffsetsAttr(b.getDenseI64ArrayAttr(
          SmallVector<int64_t>(call.getNumResults(), -1)));
    });
    for (Buffer &buffer : buffers) {
      if (buffer.result < 0) {
        buffer.call.setScratchAttr(
            b.getDenseI64ArrayAttr({buffer.offset, buffer.bytes}));
        continue;
      }
      SmallVector<int64_t> offsets(*buffer.call.getOffsets());
      offsets[buffer.result] = buffer.offset;
      buffer.call.setOffsetsAttr(b.getDenseI64ArrayAttr(offsets));
    }
    function->setAttr("plan.arena_bytes", b.getI64IntegerAttr(arena));
    if (workerScratch > 0)
      function->setAttr("plan.worker_scratch_bytes",
                        b.getI64IntegerAttr(workerScratch));
    // The bounds the sizes assume, for whoever binds the symbols later.
    function->setAttr("plan.max_batch", b.getI64IntegerAttr(maxBatch));
    function->setAttr("plan.max_seq", b.getI64IntegerAttr(maxSeq));
    return success();
  }
};

} // namespace
