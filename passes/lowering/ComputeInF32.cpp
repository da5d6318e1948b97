//===- ComputeInF32.cpp - fp16/bf16 models computed in fp32 ---------------===//
//
// See Passes.td: llmc-compute-in-f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "runtime/format/Float16.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

namespace llmc {
#define GEN_PASS_DEF_COMPUTEINF32
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

bool isNarrowFloat(Type type) { return type.isF16() || type.isBF16(); }

Type widen(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !isNarrowFloat(tensor.getElementType()))
    return type;
  return RankedTensorType::get(tensor.getShape(),
                               Float32Type::get(type.getContext()),
                               tensor.getEncoding());
}

/// The f32 copy of a f16/bf16 constant, or null when its data is not at
/// hand.
ElementsAttr widenConstant(ElementsAttr value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto wide = cast<RankedTensorType>(widen(type));
  bool bf16 = type.getElementType().isBF16();
  auto convert = [&](uint16_t bits) {
    return bf16 ? format::bfloat16ToFloat(bits) : format::halfToFloat(bits);
  };
  if (auto dense = dyn_cast<DenseElementsAttr>(value);
      dense && dense.isSplat()) {
    uint16_t bits =
        dense.getSplatValue<APFloat>().bitcastToAPInt().getZExtValue();
    return DenseElementsAttr::get(wide, convert(bits));
  }
  std::optional<ArrayRef<char>> data = getRawConstantData(value);
  if (!data || !type.hasStaticShape() ||
      static_cast<int64_t>(data->size()) != type.getNumElements() * 2)
    return {};
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(type.getNumElements() * 4, 64);
  auto *out = reinterpret_cast<float *>(blob.getMutableData().data());
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, data->data() + 2 * i, 2);
    out[i] = convert(bits);
  }
  std::string name = "f32";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    name = resource.getRawHandle().getKey().str() + ".f32";
  return DenseResourceElementsAttr::get(wide, name, std::move(blob));
}

struct ComputeInF32Pass : llmc::impl::ComputeInF32Base<ComputeInF32Pass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // One f32 copy of a weight, however many entry points use it.
    DenseMap<Attribute, ElementsAttr> widened;
    SmallVector<CastOp> rounding;
    WalkResult walk = module.walk([&](Operation *op) -> WalkResult {
      if (auto function = dyn_cast<func::FuncOp>(op)) {
        FunctionType type = function.getFunctionType();
        SmallVector<Type> inputs, results;
        for (Type input : type.getInputs())
          inputs.push_back(widen(input));
        for (Type result : type.getResults())
          results.push_back(widen(result));
        function.setType(FunctionType::get(op->getContext(), inputs, results));
        for (BlockArgument argument : function.getArguments())
          argument.setType(widen(argument.getType()));
        return WalkResult::advance();
      }
      if (auto constant = dyn_cast<ConstantOp>(op)) {
        auto type = cast<RankedTensorType>(constant.getType());
        if (!isNarrowFloat(type.getElementType()))
          return WalkResult::advance();
        ElementsAttr &wide = widened[constant.getValue()];
        if (!wide)
          wide = widenConstant(cast<ElementsAttr>(constant.getValue()));
        if (!wide) {
          constant.emitError("llmc-compute-in-f32: cannot read this ")
              << type.getElementType() << " constant's data";
          return WalkResult::interrupt();
        }
        constant.setValueAttr(wide);
        constant.getResult().setType(cast<RankedTensorType>(wide.getType()));
        return WalkResult::advance();
      }
      for (NamedAttribute attr : op->getAttrs())
        if (auto typed = dyn_cast<TypedAttr>(attr.getValue()))
          if (isNarrowFloat(getElementTypeOrSelf(typed.getType()))) {
            op->emitError("llmc-compute-in-f32: attribute '")
                << attr.getName().getValue() << "' is " << typed.getType();
            return WalkResult::interrupt();
          }
      // An explicit cast to f16/bf16 keeps its rounding: it stays a cast to
      // the narrow type, followed by a cast back to f32 (below).
      if (auto cast = dyn_cast<CastOp>(op);
          cast && isNarrowFloat(cast.getType().getElementType())) {
        rounding.push_back(cast);
        return WalkResult::advance();
      }
      for (OpResult result : op->getResults())
        result.setType(widen(result.getType()));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (CastOp cast : rounding) {
      OpBuilder b(cast->getContext());
      b.setInsertionPointAfter(cast);
      auto back = CastOp::create(b, cast.getLoc(), widen(cast.getType()),
                                 cast.getResult());
      cast.getResult().replaceAllUsesExcept(back.getResult(), back);
    }
  }
};

} // namespace
