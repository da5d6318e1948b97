//===- LowerToPlan.cpp - llmc graph ops to plan kernel calls --------------===//
//
// See Passes.td: llmc-lower-to-plan.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "dialects/plan/IR/PlanOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"

namespace llmc {
#define GEN_PASS_DEF_LOWERTOPLAN
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// A kernel parameter from an op attribute: integers (enums are their case
/// values), floats, unit flags and integer lists pass as they are.
std::optional<Attribute> asParam(Builder &b, Attribute value) {
  if (isa<IntegerAttr, FloatAttr, UnitAttr, DenseI64ArrayAttr>(value))
    return value;
  if (auto list = dyn_cast<DenseI32ArrayAttr>(value))
    return b.getDenseI64ArrayAttr(
        llvm::to_vector_of<int64_t>(list.asArrayRef()));
  if (auto array = dyn_cast<ArrayAttr>(value)) {
    SmallVector<int64_t> ints;
    for (Attribute element : array) {
      auto integer = dyn_cast<IntegerAttr>(element);
      if (!integer)
        return std::nullopt;
      ints.push_back(integer.getInt());
    }
    return b.getDenseI64ArrayAttr(ints);
  }
  return std::nullopt;
}

/// The weight `constant` permuted by `permutation`, so that kernels read it
/// in the layout they want (llmc.linear's [out, in]) with no transpose at run
/// time. The new blob is named after the old one.
FailureOr<ConstantOp> prepackTranspose(OpBuilder &b, TransposeOp transpose,
                                       ConstantOp constant) {
  auto sourceType = cast<RankedTensorType>(constant.getType());
  auto resultType = cast<RankedTensorType>(transpose.getType());
  std::optional<ArrayRef<char>> data = getRawConstantData(constant.getValue());
  if (!data || !sourceType.hasStaticShape())
    return failure();
  int64_t elementBytes =
      static_cast<int64_t>(data->size()) / sourceType.getNumElements();
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  ArrayRef<int64_t> from = sourceType.getShape();
  int64_t rank = sourceType.getRank();
  SmallVector<int64_t> fromStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    fromStrides[i] = fromStrides[i + 1] * from[i + 1];
  ArrayRef<int64_t> to = resultType.getShape();
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(data->size(), 64);
  MutableArrayRef<char> out = blob.getMutableData();
  SmallVector<int64_t> index(rank, 0);
  for (int64_t flat = 0, count = resultType.getNumElements(); flat < count;
       ++flat) {
    int64_t source = 0;
    for (int64_t i = 0; i < rank; ++i)
      source += index[i] * fromStrides[permutation[i]];
    std::memcpy(out.data() + flat * elementBytes,
                data->data() + source * elementBytes, elementBytes);
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < to[i])
        break;
      index[i] = 0;
    }
  }
  std::string name = "packed";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = resource.getRawHandle().getKey().str() + ".packed";
  auto packed =
      DenseResourceElementsAttr::get(resultType, name, std::move(blob));
  return ConstantOp::create(b, transpose.getLoc(), packed);
}

struct LowerToPlanPass : llmc::impl::LowerToPlanBase<LowerToPlanPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // One packed copy of a weight, however many entry points use it.
    DenseMap<std::pair<Attribute, Attribute>, Attribute> packed;
    for (auto function : module.getOps<func::FuncOp>())
      if (failed(prepack(function, packed)) || failed(lowerCaches(function)) ||
          failed(lowerRest(function)))
        return signalPassFailure();
  }

  LogicalResult
  prepack(func::FuncOp function,
          DenseMap<std::pair<Attribute, Attribute>, Attribute> &packed) {
    SmallVector<TransposeOp> transposes;
    function.walk([&](TransposeOp op) {
      if (op.getInput().getDefiningOp<ConstantOp>())
        transposes.push_back(op);
    });
    for (TransposeOp transpose : transposes) {
      auto constant = transpose.getInput().getDefiningOp<ConstantOp>();
      OpBuilder b(transpose);
      auto key = std::make_pair(constant.getValue(),
                                Attribute(transpose.getPermutationAttr()));
      Value replacement;
      if (Attribute done = packed.lookup(key)) {
        replacement =
            ConstantOp::create(b, transpose.getLoc(), cast<ElementsAttr>(done));
      } else {
        FailureOr<ConstantOp> made = prepackTranspose(b, transpose, constant);
        if (failed(made))
          continue; // transposed at run time instead
        packed[key] = made->getValue();
        replacement = *made;
      }
      transpose.replaceAllUsesWith(replacement);
      transpose.erase();
      if (constant->use_empty())
        constant.erase();
    }
    return success();
  }

  /// kv_cache_read + attention + kv_cache_write of one layer become one
  /// "cached_attention" call that appends the new keys and values to the
  /// cache in place and attends over the cached prefix.
  LogicalResult lowerCaches(func::FuncOp function) {
    SmallVector<AttentionOp> attentions;
    function.walk([&](AttentionOp op) { attentions.push_back(op); });
    for (AttentionOp attention : attentions) {
      auto read = attention.getPastKey()
                      ? attention.getPastKey().getDefiningOp<KvCacheReadOp>()
                      : KvCacheReadOp();
      if (!read || attention.getPastValue() != read.getValues())
        return attention.emitError(
            "llmc-lower-to-plan: attention must read its past from "
            "llmc.kv_cache_read (run llmc-kv-cache first)");
      if (attention.getKeyMask())
        return attention.emitError(
            "llmc-lower-to-plan: a key mask over a compiler-made cache is "
            "not supported");
      KvCacheWriteOp write;
      for (Operation *user : attention.getKey().getUsers())
        if (auto candidate = dyn_cast<KvCacheWriteOp>(user))
          if (candidate.getValue() == attention.getValue() &&
              candidate.getLayer() == read.getLayer())
            write = candidate;
      if (!write || write.getCache() != read.getCache() ||
          write.getPosition() != read.getPosition())
        return attention.emitError(
            "llmc-lower-to-plan: the attention's new keys and values are not "
            "written to the cache it reads at the same position");
      OpBuilder b(attention);
      SmallVector<NamedAttribute> params = {
          b.getNamedAttr("layer", b.getI64IntegerAttr(read.getLayer()))};
      if (attention.getCausal())
        params.push_back(b.getNamedAttr("causal", b.getUnitAttr()));
      float scale =
          attention.getScale()
              ? attention.getScale()->convertToFloat()
              : 1.0f /
                    std::sqrt(static_cast<float>(
                        cast<RankedTensorType>(attention.getQuery().getType())
                            .getShape()
                            .back()));
      params.push_back(b.getNamedAttr("scale", b.getF32FloatAttr(scale)));
      auto call = plan::CallOp::create(
          b, attention.getLoc(),
          TypeRange{attention.getType(), write.getType()},
          b.getStringAttr("cached_attention"),
          ValueRange{attention.getQuery(), attention.getKey(),
                     attention.getValue(), read.getCache(), read.getPosition()},
          b.getDictionaryAttr(params), b.getDenseI64ArrayAttr({-1, 3}),
          DenseI64ArrayAttr(), DenseI64ArrayAttr());
      attention.replaceAllUsesWith(call.getResult(0));
      write.replaceAllUsesWith(call.getResult(1));
      attention.erase();
      write.erase();
      read.erase();
    }
    return success();
  }

  /// Reshapes become views; every other graph op a call of the kernel of
  /// its name with its attributes as parameters.
  LogicalResult lowerRest(func::FuncOp function) {
    SmallVector<Operation *> ops;
    for (Operation &op : function.getBody().getOps())
      if (op.getDialect() && isa<LlmcDialect>(op.getDialect()) &&
          !isa<ConstantOp>(op))
        ops.push_back(&op);
    for (Operation *op : ops) {
      OpBuilder b(op);
      if (auto reshape = dyn_cast<ReshapeOp>(op)) {
        auto view = plan::ViewOp::create(b, op->getLoc(), reshape.getType(),
                                         reshape.getInput());
        reshape.replaceAllUsesWith(view.getResult());
        reshape.erase();
        continue;
      }
      if (isa<KvCacheReadOp, KvCacheWriteOp>(op))
        return op->emitError("llmc-lower-to-plan: a KV-cache access outside "
                             "an attention layer");
      SmallVector<NamedAttribute> params;
      SmallVector<int64_t> absent;
      for (NamedAttribute attr : op->getAttrs()) {
        if (attr.getName() == "operandSegmentSizes") {
          int64_t position = 0;
          for (int32_t size :
               cast<DenseI32ArrayAttr>(attr.getValue()).asArrayRef()) {
            if (size == 0)
              absent.push_back(position);
            position += std::max(size, 1);
          }
          continue;
        }
        std::optional<Attribute> param = asParam(b, attr.getValue());
        if (!param)
          return op->emitError("llmc-lower-to-plan: attribute '")
                 << attr.getName().getValue() << "' of "
                 << op->getName().getStringRef()
                 << " has no kernel parameter form";
        params.push_back(b.getNamedAttr(attr.getName(), *param));
      }
      StringRef kernel = op->getName().stripDialect();
      auto call = plan::CallOp::create(
          b, op->getLoc(), op->getResultTypes(), b.getStringAttr(kernel),
          op->getOperands(), b.getDictionaryAttr(params), DenseI64ArrayAttr(),
          absent.empty() ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr(absent),
          DenseI64ArrayAttr());
      op->replaceAllUsesWith(call.getResults());
      op->erase();
    }
    return success();
  }
};

} // namespace
