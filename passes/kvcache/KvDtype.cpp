//===- KvDtype.cpp - a paged KV cache held narrower
//------------------------===//
//
// See Passes.td: llmc-kv-dtype.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace llmc {
#define GEN_PASS_DEF_KVDTYPE
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

struct KvDtype : llmc::impl::KvDtypeBase<KvDtype> {
  using KvDtypeBase::KvDtypeBase;

  void runOnOperation() override {
    if (dtype.empty())
      return;
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    Type element = llvm::StringSwitch<Type>(dtype)
                       .Case("f32", Float32Type::get(context))
                       .Case("f16", Float16Type::get(context))
                       .Case("bf16", BFloat16Type::get(context))
                       .Case("int8", IntegerType::get(context, 8))
                       .Case("fp8", Float8E4M3FNType::get(context))
                       .Default(Type());
    if (!element) {
      module.emitError("llmc-kv-dtype: dtype ")
          << dtype << ": expected f32, f16, bf16, int8 or fp8";
      return signalPassFailure();
    }
    auto cache = module->getAttrOfType<DictionaryAttr>("llmc.kv_cache");
    auto blocks =
        cache ? cache.getAs<IntegerAttr>("block_tokens") : IntegerAttr();
    if (!blocks || blocks.getInt() < 1) {
      module.emitError("llmc-kv-dtype: dtype=")
          << dtype
          << " holds a paged KV cache's keys and values (llmc-kv-cache "
             "block-tokens=B); this module has "
          << (cache ? "a contiguous one" : "none");
      return signalPassFailure();
    }
    const bool coded = isa<IntegerType, Float8E4M3FNType>(element);
    for (auto function : module.getOps<func::FuncOp>())
      if (failed(retype(function, element, coded, blocks.getInt())))
        return signalPassFailure();
  }

  /// Gives `function`'s cache argument, the kv_cache_write results that
  /// thread it and its results the new type.
  LogicalResult retype(func::FuncOp function, Type element, bool coded,
                       int64_t blockTokens) {
    BlockArgument pool;
    for (BlockArgument argument : function.getArguments()) {
      auto name = function.getArgAttrOfType<StringAttr>(argument.getArgNumber(),
                                                        "llmc.name");
      if (name && name.getValue() == "cache")
        pool = argument;
    }
    if (!pool)
      return success();
    auto type = cast<RankedTensorType>(pool.getType());
    if (type.getRank() != 6 || type.getDimSize(4) != blockTokens)
      return function.emitError("llmc-kv-dtype: @")
             << function.getName() << "'s cache " << type
             << " is not a pool of blocks of " << blockTokens << " tokens";
    if (coded && type.getDimSize(5) < 4)
      return function.emitError("llmc-kv-dtype: dtype=")
             << dtype << " needs head_dim 4 or more (a row holds each "
             << "block's scale), the cache has " << type.getDimSize(5);
    SmallVector<int64_t> shape(type.getShape());
    shape[4] = blockTokens + (coded ? 1 : 0);
    auto held = RankedTensorType::get(shape, element, type.getEncoding());
    pool.setType(held);
    function.walk(
        [&](KvCacheWriteOp write) { write.getResult().setType(held); });
    auto returned =
        cast<func::ReturnOp>(function.getBody().back().getTerminator());
    function.setType(FunctionType::get(function.getContext(),
                                       function.getBody().getArgumentTypes(),
                                       returned.getOperandTypes()));
    return success();
  }
};

} // namespace
