//===- ComputeType.cpp - every float tensor in one element type -----------===//
//
// See Passes.td: llmc-compute-type.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "dialects/llmc/IR/LlmcOps.h"
#include "runtime/format/Float16.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

namespace llmc {
#define GEN_PASS_DEF_COMPUTETYPE
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// `type` with its float elements as `target` (other types unchanged).
Type convert(Type type, FloatType target) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !isa<FloatType>(tensor.getElementType()))
    return type;
  return RankedTensorType::get(tensor.getShape(), target, tensor.getEncoding());
}

/// Element `i` of raw data of `type` elements (f32, f16 or bf16).
float readFloat(FloatType type, const char *data, int64_t i) {
  if (type.isF32()) {
    float value;
    std::memcpy(&value, data + 4 * i, 4);
    return value;
  }
  uint16_t bits;
  std::memcpy(&bits, data + 2 * i, 2);
  return type.isBF16() ? format::bfloat16ToFloat(bits)
                       : format::halfToFloat(bits);
}

/// Writes `value`, rounded to nearest even, as element `i` of raw data of
/// `type` elements.
void writeFloat(FloatType type, char *data, int64_t i, float value) {
  if (type.isF32()) {
    std::memcpy(data + 4 * i, &value, 4);
    return;
  }
  uint16_t bits = type.isBF16() ? format::floatToBfloat16(value)
                                : format::floatToHalf(value);
  std::memcpy(data + 2 * i, &bits, 2);
}

/// The copy of constant `value` in `target` elements, or null when its
/// data is not at hand.
ElementsAttr convertConstant(ElementsAttr value, FloatType target) {
  auto type = cast<RankedTensorType>(value.getType());
  auto source = cast<FloatType>(type.getElementType());
  auto converted = cast<RankedTensorType>(convert(type, target));
  if (auto dense = dyn_cast<DenseElementsAttr>(value);
      dense && dense.isSplat()) {
    bool lost = false;
    APFloat element = dense.getSplatValue<APFloat>();
    element.convert(target.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &lost);
    return DenseElementsAttr::get(converted, element);
  }
  std::optional<ArrayRef<char>> data = getRawConstantData(value);
  int64_t width = source.getWidth() / 8, targetWidth = target.getWidth() / 8;
  if (!data || !type.hasStaticShape() ||
      static_cast<int64_t>(data->size()) != type.getNumElements() * width)
    return {};
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(type.getNumElements() * targetWidth, 64);
  char *out = blob.getMutableData().data();
  for (int64_t i = 0; i < type.getNumElements(); ++i)
    writeFloat(target, out, i, readFloat(source, data->data(), i));
  std::string name = target.isF32() ? "f32" : target.isF16() ? "f16" : "bf16";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    name = resource.getRawHandle().getKey().str() + "." + name;
  return DenseResourceElementsAttr::get(converted, name, std::move(blob));
}

struct ComputeType : llmc::impl::ComputeTypeBase<ComputeType> {
  using ComputeTypeBase::ComputeTypeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    FloatType target;
    switch (elementType) {
    case llmc::ComputeElement::f32:
      target = Float32Type::get(context);
      break;
    case llmc::ComputeElement::f16:
      target = Float16Type::get(context);
      break;
    case llmc::ComputeElement::bf16:
      target = BFloat16Type::get(context);
      break;
    }
    auto convertType = [&](Type type) { return convert(type, target); };
    // A cast to fewer mantissa bits than the target rounds: it stays.
    auto rounds = [&](Type type) {
      auto element = dyn_cast<FloatType>(getElementTypeOrSelf(type));
      return element &&
             element.getFPMantissaWidth() < target.getFPMantissaWidth();
    };
    // One converted copy of a weight, however many entry points use it.
    DenseMap<Attribute, ElementsAttr> converted;
    SmallVector<CastOp> rounding;
    WalkResult walk = module.walk([&](Operation *op) -> WalkResult {
      if (auto function = dyn_cast<func::FuncOp>(op)) {
        FunctionType type = function.getFunctionType();
        SmallVector<Type> inputs, results;
        for (Type input : type.getInputs())
          inputs.push_back(convertType(input));
        for (Type result : type.getResults())
          results.push_back(convertType(result));
        function.setType(FunctionType::get(context, inputs, results));
        for (BlockArgument argument : function.getArguments())
          argument.setType(convertType(argument.getType()));
        return WalkResult::advance();
      }
      if (auto constant = dyn_cast<ConstantOp>(op)) {
        auto type = cast<RankedTensorType>(constant.getType());
        if (!isa<FloatType>(type.getElementType()) ||
            type.getElementType() == target)
          return WalkResult::advance();
        ElementsAttr &copy = converted[constant.getValue()];
        if (!copy)
          copy =
              convertConstant(cast<ElementsAttr>(constant.getValue()), target);
        if (!copy) {
          constant.emitError("llmc-compute-type: cannot read this ")
              << type.getElementType() << " constant's data";
          return WalkResult::interrupt();
        }
        constant.setValueAttr(copy);
        constant.getResult().setType(cast<RankedTensorType>(copy.getType()));
        return WalkResult::advance();
      }
      // A quantized weight's codes and scales are its storage format,
      // which the kernels decode whatever the compute type.
      if (isa<QConstantOp>(op))
        return WalkResult::advance();
      for (NamedAttribute attr : op->getAttrs())
        if (auto typed = dyn_cast<ElementsAttr>(attr.getValue()))
          if (auto element = dyn_cast<FloatType>(typed.getElementType());
              element && element != target) {
            op->emitError("llmc-compute-type: attribute '")
                << attr.getName().getValue() << "' is " << typed.getType();
            return WalkResult::interrupt();
          }
      if (auto cast = dyn_cast<CastOp>(op); cast && rounds(cast.getType())) {
        rounding.push_back(cast);
        return WalkResult::advance();
      }
      for (OpResult result : op->getResults())
        result.setType(convertType(result.getType()));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (CastOp cast : rounding) {
      OpBuilder b(context);
      b.setInsertionPointAfter(cast);
      auto back = CastOp::create(b, cast.getLoc(), convertType(cast.getType()),
                                 cast.getResult());
      cast.getResult().replaceAllUsesExcept(back.getResult(), back);
    }
  }
};

} // namespace
