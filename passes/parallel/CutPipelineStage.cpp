//===- CutPipelineStage.cpp - one pipeline stage's layers -----------------===//
//
// See Passes.td: llmc-cut-pipeline-stage.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace llmc {
#define GEN_PASS_DEF_CUTPIPELINESTAGE
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

constexpr llvm::StringLiteral kPass = "llmc-cut-pipeline-stage";

/// Where an entry point's layers meet. Layer k's ops are ops[cuts[k] ..
/// cuts[k + 1]) (cuts[0] = 0, cuts[layers] = ops.size()); residual[k] is
/// the one value that crosses cut k (k >= 1), and chain[k] the KV cache
/// as the layers before it left it.
struct Layers {
  SmallVector<Operation *> ops;
  llvm::DenseMap<Operation *, int64_t> index;
  SmallVector<int64_t> cuts;
  SmallVector<Value> residual, chain;
  /// Values every stage can compute from what it has: the arguments but
  /// the cache, constants, and pure ops of them whose results are not
  /// floats computed from the arguments (positions, shape arithmetic,
  /// weights viewed another way).
  llvm::DenseSet<Value> recomputable;
  BlockArgument cache;
  int64_t count() const { return int64_t(cuts.size()) - 1; }
};

bool isFloatTensor(Type type) {
  return isa<FloatType>(getElementTypeOrSelf(type));
}

/// `op`'s results all recomputable (see Layers::recomputable).
bool recomputableOp(Operation &op, const llvm::DenseSet<Value> &recomputable,
                    const llvm::DenseSet<Value> &fromArguments) {
  if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op) ||
      op.getNumResults() == 0)
    return false;
  bool arguments = false;
  for (Value operand : op.getOperands()) {
    if (!recomputable.contains(operand))
      return false;
    arguments |= fromArguments.contains(operand);
  }
  return !arguments || llvm::none_of(op.getResultTypes(), isFloatTensor);
}

FailureOr<Layers> findLayers(func::FuncOp entry) {
  Layers layers;
  Block &block = entry.getBody().front();
  SmallVector<int64_t> attentions;
  for (Operation &op : block.without_terminator()) {
    layers.index[&op] = int64_t(layers.ops.size());
    if (isa<AttentionOp>(op))
      attentions.push_back(int64_t(layers.ops.size()));
    layers.ops.push_back(&op);
  }
  Type cacheType;
  entry.walk([&](KvCacheWriteOp write) { cacheType = write.getType(); });
  for (BlockArgument argument : block.getArguments())
    if (argument.getType() == cacheType)
      layers.cache = argument;
  if (attentions.empty() || !layers.cache)
    return entry.emitError()
           << kPass << ": @" << entry.getName()
           << " has no attention reading a KV cache argument: pipeline "
              "stages cut the layers of a generative model";

  llvm::DenseSet<Value> fromArguments;
  for (BlockArgument argument : block.getArguments()) {
    fromArguments.insert(argument);
    if (argument != layers.cache)
      layers.recomputable.insert(argument);
  }
  for (Operation *op : layers.ops) {
    if (recomputableOp(*op, layers.recomputable, fromArguments))
      for (Value result : op->getResults())
        layers.recomputable.insert(result);
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return fromArguments.contains(v); }))
      for (Value result : op->getResults())
        fromArguments.insert(result);
  }

  // live[c]: the values that must cross a cut before ops[c] (not the
  // recomputable ones, not the cache).
  const int64_t n = int64_t(layers.ops.size());
  SmallVector<int64_t> delta(n + 2, 0);
  auto counted = [&](Value v) {
    return !layers.recomputable.contains(v) && v.getType() != cacheType;
  };
  auto lastUse = [&](Value v) {
    int64_t last = -1;
    for (Operation *user : v.getUsers())
      last = std::max(last, user->hasTrait<OpTrait::IsTerminator>()
                                ? n
                                : layers.index.lookup(user));
    return last;
  };
  for (auto [i, op] : llvm::enumerate(layers.ops))
    for (Value result : op->getResults())
      if (counted(result))
        if (int64_t last = lastUse(result); last > int64_t(i)) {
          delta[i + 1] += 1;
          delta[last + 1] -= 1;
        }
  SmallVector<int64_t> live(n + 1, 0);
  for (int64_t c = 1; c <= n; ++c)
    live[c] = live[c - 1] + delta[c];

  layers.cuts.push_back(0);
  layers.residual.push_back(Value());
  layers.chain.push_back(layers.cache);
  for (size_t k = 1; k < attentions.size(); ++k) {
    // The last place before layer k's attention where one value crosses.
    int64_t cut = -1;
    for (int64_t c = attentions[k]; c > attentions[k - 1] && cut < 0; --c)
      if (live[c] == 1)
        cut = c;
    if (cut < 0)
      return layers.ops[attentions[k]]->emitError()
             << kPass << ": @" << entry.getName() << ": layer " << k
             << ": more than one value crosses from layer " << k - 1
             << " at every point, so the stages cannot be cut there";
    Value residual, chain = layers.cache;
    for (int64_t i = 0; i < cut; ++i)
      for (Value result : layers.ops[i]->getResults()) {
        if (result.getType() == cacheType)
          chain = result;
        else if (counted(result) && lastUse(result) >= cut)
          residual = result;
      }
    layers.cuts.push_back(cut);
    layers.residual.push_back(residual);
    layers.chain.push_back(chain);
  }
  layers.cuts.push_back(n);
  return layers;
}

int64_t attributeBytes(ElementsAttr value) {
  return value.getNumElements() *
         ((value.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

/// Each layer's weight bytes: the constants its ops read (through
/// recomputable views); a constant several layers read counts in each.
SmallVector<int64_t> layerBytes(const Layers &layers) {
  SmallVector<int64_t> bytes;
  for (int64_t k = 0; k < layers.count(); ++k) {
    llvm::SetVector<Operation *> constants;
    SmallVector<Value> work;
    for (int64_t i = layers.cuts[k]; i < layers.cuts[k + 1]; ++i)
      if (!llvm::all_of(layers.ops[i]->getResults(), [&](Value v) {
            return layers.recomputable.contains(v);
          }))
        llvm::append_range(work, layers.ops[i]->getOperands());
    llvm::DenseSet<Value> seen;
    while (!work.empty()) {
      Value v = work.pop_back_val();
      Operation *def = v.getDefiningOp();
      if (!def || !layers.recomputable.contains(v) || !seen.insert(v).second)
        continue;
      if (isa<ConstantOp, QConstantOp>(def))
        constants.insert(def);
      else
        llvm::append_range(work, def->getOperands());
    }
    int64_t total = 0;
    for (Operation *op : constants) {
      if (auto constant = dyn_cast<ConstantOp>(op)) {
        total += attributeBytes(constant.getValue());
        continue;
      }
      auto q = cast<QConstantOp>(op);
      total += attributeBytes(q.getData()) + attributeBytes(q.getScales());
      if (q.getZeros())
        total += attributeBytes(*q.getZeros());
    }
    bytes.push_back(total);
  }
  return bytes;
}

/// The first layer of each of `stages` contiguous ranges of `bytes` whose
/// largest sum is the smallest (then the last boundary, stage[stages]).
SmallVector<int64_t> balance(ArrayRef<int64_t> bytes, int64_t stages) {
  const int64_t n = int64_t(bytes.size());
  SmallVector<int64_t> prefix(n + 1, 0);
  for (int64_t i = 0; i < n; ++i)
    prefix[i + 1] = prefix[i] + bytes[i];
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  // best[s][i]: the smallest largest stage of the first i layers in s
  // stages; from[s][i]: where its last stage starts.
  std::vector<std::vector<int64_t>> best(stages + 1,
                                         std::vector<int64_t>(n + 1, kNone)),
      from(stages + 1, std::vector<int64_t>(n + 1, 0));
  best[0][0] = 0;
  for (int64_t s = 1; s <= stages; ++s)
    for (int64_t i = s; i <= n; ++i)
      for (int64_t j = s - 1; j < i; ++j) {
        if (best[s - 1][j] == kNone)
          continue;
        int64_t cost = std::max(best[s - 1][j], prefix[i] - prefix[j]);
        if (cost < best[s][i]) {
          best[s][i] = cost;
          from[s][i] = j;
        }
      }
  SmallVector<int64_t> first(stages + 1, n);
  for (int64_t s = stages, i = n; s > 0; --s) {
    i = from[s][i];
    first[s - 1] = i;
  }
  return first;
}

struct CutPipelineStage : llmc::impl::CutPipelineStageBase<CutPipelineStage> {
  using CutPipelineStageBase::CutPipelineStageBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (stages < 2 || stage < 0 || stage >= stages) {
      module.emitError() << kPass << ": stage " << int64_t(stage)
                         << " of stages=" << int64_t(stages)
                         << " (at least 2 stages, stage 0 up to stages - 1)";
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> entries(module.getOps<func::FuncOp>());
    std::vector<Layers> found;
    for (func::FuncOp entry : entries) {
      FailureOr<Layers> layers = findLayers(entry);
      if (failed(layers))
        return signalPassFailure();
      if (!found.empty() && layers->count() != found.front().count()) {
        entry.emitError() << kPass << ": @" << entry.getName() << " has "
                          << layers->count() << " layers, @"
                          << entries.front().getName() << " "
                          << found.front().count();
        return signalPassFailure();
      }
      found.push_back(std::move(*layers));
    }
    if (found.empty()) {
      module.emitError() << kPass << ": no entry points";
      return signalPassFailure();
    }
    const int64_t count = found.front().count();
    if (stages > count) {
      module.emitError() << kPass << ": " << int64_t(stages)
                         << " pipeline stages need at least as many layers, "
                            "and the model has "
                         << count;
      return signalPassFailure();
    }
    SmallVector<int64_t> first = balance(layerBytes(found.front()), stages);
    const int64_t lo = first[stage], hi = first[stage + 1];
    std::optional<SmallVector<int64_t>> planes;
    for (auto [entry, layers] : llvm::zip(entries, found))
      if (failed(cut(entry, layers, lo, hi, count, planes)))
        return signalPassFailure();

    MLIRContext *context = &getContext();
    auto integer = [&](int64_t v) {
      return IntegerAttr::get(IntegerType::get(context, 64), v);
    };
    if (auto cache = module->getAttrOfType<DictionaryAttr>("llmc.kv_cache")) {
      NamedAttrList entries(cache);
      entries.set("layers", integer(int64_t(planes->size())));
      entries.set("attention_layers", integer(hi - lo));
      module->setAttr("llmc.kv_cache", entries.getDictionary(context));
    }
    Builder b(context);
    module->setAttr(
        "llmc.pipeline",
        b.getDictionaryAttr({b.getNamedAttr("stages", integer(stages)),
                             b.getNamedAttr("stage", integer(stage)),
                             b.getNamedAttr("first_layer", integer(lo)),
                             b.getNamedAttr("layers", integer(hi - lo))}));
  }

  /// Keeps layers lo..hi-1 of `entry`. `planes`: the cache planes the
  /// stage's layers use, the same in every entry point.
  LogicalResult cut(func::FuncOp entry, Layers &layers, int64_t lo, int64_t hi,
                    int64_t count,
                    std::optional<SmallVector<int64_t>> &planes) {
    const int64_t begin = layers.cuts[lo], end = layers.cuts[hi];
    auto inStage = [&](OpOperand &use) {
      auto at = layers.index.find(use.getOwner());
      return at == layers.index.end() || at->second >= begin;
    };
    OpBuilder b(entry.getContext());
    if (lo > 0) {
      Value residual = layers.residual[lo];
      b.setInsertionPoint(layers.ops[begin]);
      auto recv = RecvOp::create(b, residual.getLoc(), residual.getType(),
                                 b.getI64IntegerAttr(stage - 1));
      residual.replaceUsesWithIf(recv, inStage);
      layers.chain[lo].replaceUsesWithIf(layers.cache, inStage);
    }
    Operation *terminator = entry.getBody().front().getTerminator();
    if (hi < count) {
      Value residual = layers.residual[hi];
      b.setInsertionPoint(layers.ops[end]);
      SendOp::create(b, residual.getLoc(), residual,
                     b.getI64IntegerAttr(stage + 1));
      // The cache as the stage's layers leave it is all it returns.
      Value chain = hi > lo && layers.chain[hi] == layers.chain[lo]
                        ? Value(layers.cache)
                        : layers.chain[hi];
      b.setInsertionPoint(terminator);
      func::ReturnOp::create(b, terminator->getLoc(), chain);
      terminator->erase();
      llvm::BitVector drop(entry.getNumResults(), true);
      drop.reset(entry.getNumResults() - 1);
      if (failed(entry.eraseResults(drop)))
        return failure();
    }
    for (int64_t i = int64_t(layers.ops.size()) - 1; i >= 0; --i) {
      Operation *op = layers.ops[i];
      if ((i >= begin && i < end) ||
          llvm::all_of(
              op->getResults(),
              [&](Value v) { return layers.recomputable.contains(v); }) &&
              op->getNumResults() > 0)
        continue;
      op->erase();
    }
    // What only the other stages read (their weights, their positions).
    SmallVector<Operation *> left;
    for (Operation &op : entry.getBody().front().without_terminator())
      left.push_back(&op);
    for (Operation *op : llvm::reverse(left))
      if (isOpTriviallyDead(op))
        op->erase();

    // The stage's cache: its layers' planes, numbered from 0.
    SmallVector<int64_t> used;
    entry.walk([&](Operation *op) {
      if (auto read = dyn_cast<KvCacheReadOp>(op))
        used.push_back(read.getLayer());
      else if (auto write = dyn_cast<KvCacheWriteOp>(op))
        used.push_back(write.getLayer());
    });
    llvm::sort(used);
    used.erase(llvm::unique(used), used.end());
    if (planes && *planes != used)
      return entry.emitError()
             << kPass << ": @" << entry.getName()
             << " reads other cache planes than the other entry points";
    planes = used;
    auto renumber = [&](int64_t plane) {
      return int64_t(llvm::lower_bound(used, plane) - used.begin());
    };
    auto oldType = cast<RankedTensorType>(layers.cache.getType());
    SmallVector<int64_t> shape(oldType.getShape());
    shape[0] = int64_t(used.size());
    auto cacheType = RankedTensorType::get(shape, oldType.getElementType(),
                                           oldType.getEncoding());
    layers.cache.setType(cacheType);
    entry.walk([&](Operation *op) {
      if (auto read = dyn_cast<KvCacheReadOp>(op))
        read.setLayer(renumber(read.getLayer()));
      if (auto write = dyn_cast<KvCacheWriteOp>(op)) {
        write.setLayer(renumber(write.getLayer()));
        write.getResult().setType(cacheType);
      }
    });
    SmallVector<Type> results(entry.getResultTypes());
    results.back() = cacheType;
    SmallVector<Type> arguments(entry.getArgumentTypes());
    arguments[layers.cache.getArgNumber()] = cacheType;
    entry.setFunctionType(
        FunctionType::get(entry.getContext(), arguments, results));
    return success();
  }
};

} // namespace
