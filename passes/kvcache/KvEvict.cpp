//===- KvEvict.cpp - eviction for unbounded generation --------------------===//
//
// See Passes.td: llmc-kv-evict.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

namespace llmc {
#define GEN_PASS_DEF_KVEVICT
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// The elements of a RoPE table constant as f32.
std::optional<std::vector<float>> tableValues(Value table) {
  auto constant = table.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  return getFloatConstantData(constant.getValue());
}

struct KvEvict : llmc::impl::KvEvictBase<KvEvict> {
  using KvEvictBase::KvEvictBase;

  void runOnOperation() override {
    if (window == 0)
      return;
    ModuleOp module = getOperation();
    auto cache = module->getAttrOfType<DictionaryAttr>("llmc.kv_cache");
    auto integer = [&](StringRef name) -> int64_t {
      auto value = cache ? cache.getAs<IntegerAttr>(name) : IntegerAttr();
      return value ? value.getInt() : 0;
    };
    if (integer("block_tokens") < 1) {
      module.emitError("llmc-kv-evict: eviction keeps a paged KV cache's "
                       "blocks (llmc-kv-cache block-tokens=B); this module "
                       "has ")
          << (cache ? "a contiguous one" : "none");
      return signalPassFailure();
    }
    if (policy != "window" && policy != "h2o") {
      module.emitError("llmc-kv-evict: policy ")
          << policy << ": expected window or h2o";
      return signalPassFailure();
    }
    const int64_t maxSeq = integer("max_seq");
    if (window < 1 || sinks < 0 || window + sinks > maxSeq) {
      module.emitError("llmc-kv-evict: window ")
          << int64_t(window) << " + sinks " << int64_t(sinks) << ": "
          << int64_t(window + sinks) << " tokens, above the cache's max-seq "
          << maxSeq;
      return signalPassFailure();
    }
    // Every layer's written keys come from one llmc.rope: the same tables,
    // the same pairs.
    RopeOp first;
    WalkResult walk = module.walk([&](KvCacheWriteOp write) {
      auto rope = write.getKey().getDefiningOp<RopeOp>();
      if (!rope) {
        write.emitError("llmc-kv-evict: layer ")
            << write.getLayer()
            << "'s cached keys do not come from llmc.rope: eviction rotates "
               "kept keys to their new positions, which needs rotary "
               "position embeddings";
        return WalkResult::interrupt();
      }
      if (!first) {
        first = rope;
        return WalkResult::advance();
      }
      auto same = [](Value a, Value b) {
        if (a == b)
          return true;
        auto x = a.getDefiningOp<ConstantOp>(),
             y = b.getDefiningOp<ConstantOp>();
        return x && y && x.getValue() == y.getValue();
      };
      if (rope.getMode() != first.getMode() ||
          !same(rope.getCos(), first.getCos()) ||
          !same(rope.getSin(), first.getSin())) {
        write.emitError("llmc-kv-evict: layer ")
            << write.getLayer()
            << "'s keys take other RoPE tables or pairs than layer 0's";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (!first) {
      module.emitError("llmc-kv-evict: no layer writes keys into the cache");
      return signalPassFailure();
    }
    WalkResult windowed = module.walk([&](AttentionOp attention) {
      if (!attention.getWindow())
        return WalkResult::advance();
      attention.emitError("llmc-kv-evict: the model's layers attend in a "
                          "sliding window of their own already");
      return WalkResult::interrupt();
    });
    if (windowed.wasInterrupted())
      return signalPassFailure();

    auto tableType = cast<RankedTensorType>(first.getCos().getType());
    const int64_t half = tableType.getDimSize(1);
    std::optional<std::vector<float>> cos = tableValues(first.getCos()),
                                      sin = tableValues(first.getSin());
    if (!cos || !sin || tableType.isDynamicDim(0) ||
        tableType.getDimSize(0) < maxSeq) {
      first.emitError("llmc-kv-evict: the keys' RoPE tables must be "
                      "constants of at least max-seq ")
          << maxSeq << " rows";
      return signalPassFailure();
    }
    // Rotating a key by d positions is the table's row d only when its
    // rows are rotations (no attention factor folded in).
    const size_t kept = size_t(maxSeq * half);
    cos->resize(kept);
    sin->resize(kept);
    for (size_t i = 0; i < kept; ++i)
      if (std::abs((*cos)[i] * (*cos)[i] + (*sin)[i] * (*sin)[i] - 1.0f) >
          1e-3f) {
        first.emitError("llmc-kv-evict: the keys' RoPE tables are scaled "
                        "(cos^2 + sin^2 is not 1 at row ")
            << int64_t(i) / half << ")";
        return signalPassFailure();
      }
    Builder b(module.getContext());
    auto rows = RankedTensorType::get({maxSeq, half}, b.getF32Type());
    SmallVector<NamedAttribute> layout(cache.getValue());
    layout.push_back(b.getNamedAttr("evict", b.getStringAttr(policy)));
    layout.push_back(b.getNamedAttr("window", b.getI64IntegerAttr(window)));
    layout.push_back(b.getNamedAttr("sinks", b.getI64IntegerAttr(sinks)));
    layout.push_back(b.getNamedAttr(
        "rope_pairs",
        b.getStringAttr(first.getMode() == RopeMode::half ? "half"
                                                          : "interleaved")));
    layout.push_back(b.getNamedAttr(
        "rope_cos", DenseElementsAttr::get(rows, ArrayRef<float>(*cos))));
    layout.push_back(b.getNamedAttr(
        "rope_sin", DenseElementsAttr::get(rows, ArrayRef<float>(*sin))));
    module->setAttr("llmc.kv_cache", b.getDictionaryAttr(layout));
  }
};

} // namespace
