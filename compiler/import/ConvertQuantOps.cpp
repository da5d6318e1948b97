//===- ConvertQuantOps.cpp - pre-quantized ONNX weights to llmc -----------===//
//
//   DequantizeLinear(W constant [K, N] int4/uint4/int8/uint8, scales[,
//       zero points]) with opset 21's blocks along K, per output channel or
//       per tensor -> transpose(dequantize(qconstant [N, K])), folded into
//       the linear by llmc-raise
//   com.microsoft.MatMulNBits(A, B, scales[, zero_points][, g_idx][, bias])
//       (onnxruntime's int4 models: onnxruntime-genai's builder -p int4,
//       onnxruntime.quantization's MatMulNBitsQuantizer) -> llmc.linear
//       over an !llmc.qweight<N x K x si4|ui4, group block_size, ...>
//
// B is [N, ceil(K / block_size), block_size / 2] bytes, two consecutive
// weights per byte (the first in the low nibble); zero points, when
// present, are packed the same way per row of blocks (else 8: si4 codes).
// A weight whose K the block size does not divide (the builder pads its
// last block) is imported dequantized, as f32 [N, K]: exact, uncompressed.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/NodeImport.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "passes/quant/QuantTargets.h"
#include "runtime/format/Float16.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace llmc::onnx_import {
namespace {

using Results = FailureOr<SmallVector<Value>>;

/// The raw bytes of constant input `index`, checked to hold `count`
/// elements of `width` bytes.
FailureOr<std::vector<char>> constantBytes(NodeImport &node, unsigned index,
                                           int64_t count, int64_t width,
                                           StringRef what) {
  auto constant = node.inputs[index].getDefiningOp<ConstantOp>();
  if (!constant)
    return node.error() << what << " must be a constant initializer";
  std::vector<char> bytes;
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      dense && dense.isSplat() && !dense.getElementType().isInteger(1)) {
    // One element stands for all: spell them out.
    for (int64_t i = 0; i < dense.getNumElements(); ++i)
      bytes.insert(bytes.end(), dense.getRawData().begin(),
                   dense.getRawData().end());
  } else if (std::optional<ArrayRef<char>> raw =
                 getRawConstantData(constant.getValue())) {
    bytes.assign(raw->begin(), raw->end());
  } else {
    return node.error() << what << " must be a constant initializer";
  }
  if (static_cast<int64_t>(bytes.size()) != count * width)
    return node.error() << what << " holds " << bytes.size() << " bytes, "
                        << count * width << " expected";
  return bytes;
}

Results convertMatMulNBits(NodeImport &node) {
  FailureOr<Value> a = node.input(0);
  if (failed(a) || failed(node.input(1)) || failed(node.input(2)))
    return failure();
  int64_t k = node.intAttr("K", -1), n = node.intAttr("N", -1),
          bits = node.intAttr("bits", 4),
          block = node.intAttr("block_size", -1);
  if (bits != 4)
    return node.error() << "bits = " << bits
                        << " is not supported (4-bit weights only)";
  if (k <= 0 || n <= 0 || block < 16 || (block & (block - 1)) != 0)
    return node.error() << "needs positive K and N and a power-of-two "
                           "block_size of at least 16 (got K "
                        << k << ", N " << n << ", block_size " << block << ")";
  if (node.hasInput(4))
    return node.error() << "g_idx (act-order) is not supported";
  auto aType = node.inputType(0);
  if (aType.getRank() < 1 || aType.getShape().back() != k)
    return node.error() << "input A " << aType << " does not end in K = " << k;
  const int64_t blocks = (k + block - 1) / block, blob = block / 2;
  FailureOr<std::vector<char>> b =
      constantBytes(node, 1, n * blocks * blob, 1, "B");
  Type scaleType = node.inputType(2).getElementType();
  if (!scaleType.isF32() && !scaleType.isF16())
    return node.error() << "scales must be f32 or f16, got " << scaleType;
  FailureOr<std::vector<char>> scaleBytes =
      constantBytes(node, 2, n * blocks, scaleType.isF32() ? 4 : 2, "scales");
  if (failed(b) || failed(scaleBytes))
    return failure();
  std::vector<float> scales(n * blocks);
  for (int64_t i = 0; i < n * blocks; ++i) {
    if (scaleType.isF32()) {
      std::memcpy(&scales[i], scaleBytes->data() + 4 * i, 4);
    } else {
      uint16_t half;
      std::memcpy(&half, scaleBytes->data() + 2 * i, 2);
      scales[i] = format::halfToFloat(half);
    }
  }
  // Zero points: packed 4-bit per row of blocks, or 8.
  std::vector<int32_t> zeros(n * blocks, 8);
  bool zeroPoints = node.hasInput(3);
  if (zeroPoints) {
    if (!node.inputType(3).getElementType().isUnsignedInteger(8) &&
        !node.inputType(3).getElementType().isSignlessInteger(8))
      return node.error() << "zero points must be packed uint8 (float zero "
                             "points are not supported)";
    int64_t perRow = (blocks + 1) / 2;
    FailureOr<std::vector<char>> packed =
        constantBytes(node, 3, n * perRow, 1, "zero_points");
    if (failed(packed))
      return failure();
    for (int64_t r = 0; r < n; ++r)
      for (int64_t g = 0; g < blocks; ++g) {
        uint8_t byte = (*packed)[r * perRow + g / 2];
        zeros[r * blocks + g] = g % 2 ? byte >> 4 : byte & 0x0f;
      }
  }
  auto code = [&](int64_t r, int64_t l) -> int32_t {
    uint8_t byte = (*b)[(r * blocks + l / block) * blob + (l % block) / 2];
    return l % 2 ? byte >> 4 : byte & 0x0f;
  };
  std::string source = node.node.input(1);
  Value weight;
  if (k % block != 0) {
    std::vector<float> values(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t l = 0; l < k; ++l) {
        int64_t g = r * blocks + l / block;
        values[r * k + l] = (code(r, l) - zeros[g]) * scales[g];
      }
    auto type = RankedTensorType::get({n, k}, node.builder.getF32Type());
    ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                         values.size() * sizeof(float));
    weight = ConstantOp::create(
        node.builder, node.loc,
        makeResourceAttr(type, source + ".dequantized", bytes));
  } else {
    quant::QuantizedWeight q;
    MLIRContext *context = node.builder.getContext();
    Type storage = IntegerType::get(
        context, 4, zeroPoints ? IntegerType::Unsigned : IntegerType::Signed);
    q.type = QWeightType::get(context, {n, k}, storage, QuantGranularity::group,
                              block, scaleType, zeroPoints ? storage : Type());
    q.codes.resize(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t l = 0; l < k; ++l)
        q.codes[r * k + l] = static_cast<uint8_t>(
            zeroPoints ? code(r, l) : (code(r, l) - 8) & 0x0f);
    q.scales = std::move(scales);
    if (zeroPoints)
      q.zeros = std::move(zeros);
    weight = quant::createQConstant(node.builder, node.loc, q, source);
  }
  Value bias = node.hasInput(5) ? node.inputs[5] : Value();
  FailureOr<LinearOp> linear =
      createInferred<LinearOp>(node, bias ? SmallVector<Value>{*a, weight, bias}
                                          : SmallVector<Value>{*a, weight});
  if (failed(linear))
    return failure();
  return SmallVector<Value>{linear->getResult()};
}

/// DequantizeLinear of a constant 2-D weight W [K, N] (what MatMul(x, W)
/// reads): blocked along K (axis 0, opset 21's block_size), per output
/// channel (axis 1), or per tensor. Becomes transpose(dequantize(q)) with q
/// an !llmc.qweight [N, K], which llmc-raise folds into the linear.
/// DequantizeLinear of a computed int8/uint8 tensor (per tensor or per
/// axis): (cast(x) - cast(zero)) * scale, in the scale's type.
Results dequantizeActivations(NodeImport &node) {
  auto xType = node.inputType(0);
  auto scaleType = node.inputType(1);
  Type real = scaleType.getElementType();
  int64_t axis = node.intAttr("axis", 1);
  if (axis < 0)
    axis += xType.getRank();
  if (node.intAttr("block_size", 0) != 0 || !isa<FloatType>(real) ||
      !xType.getElementType().isInteger(8) ||
      (scaleType.getRank() != 0 &&
       (scaleType.getRank() != 1 || axis < 0 || axis >= xType.getRank() ||
        scaleType.getDimSize(0) != xType.getDimSize(axis))))
    return node.error() << "only constant 2-D int4/uint4/int8/uint8 weights "
                           "are dequantized in blocks; other inputs only as "
                           "int8/uint8 per tensor or per axis, got "
                        << xType << " with scales " << scaleType;
  // A per-axis scale [C] as [1, .., C, .., 1], to broadcast along axis.
  auto alongAxis = [&](Value v) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() == 0)
      return v;
    SmallVector<int64_t> shape(xType.getRank(), 1);
    shape[axis] = type.getDimSize(0);
    return ReshapeOp::create(
        node.builder, node.loc,
        RankedTensorType::get(shape, type.getElementType()), v);
  };
  auto toReal = [&](Value v) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    return CastOp::create(node.builder, node.loc,
                          buildTensorType(getDims(type), real), v);
  };
  Value value = toReal(node.inputs[0]);
  if (node.hasInput(2)) {
    FailureOr<SubOp> shifted =
        createInferred<SubOp>(node, {value, alongAxis(toReal(node.inputs[2]))});
    if (failed(shifted))
      return failure();
    value = shifted->getResult();
  }
  FailureOr<MulOp> scaled =
      createInferred<MulOp>(node, {value, alongAxis(node.inputs[1])});
  if (failed(scaled))
    return failure();
  return SmallVector<Value>{scaled->getResult()};
}

Results convertDequantizeLinear(NodeImport &node) {
  if (failed(node.input(0)) || failed(node.input(1)))
    return failure();
  auto xType = node.inputType(0);
  if (!node.inputs[0].getDefiningOp<ConstantOp>() || xType.getRank() != 2)
    return dequantizeActivations(node);
  auto storage = dyn_cast<IntegerType>(xType.getElementType());
  if (xType.getRank() != 2 || !storage ||
      (storage.getWidth() != 4 && storage.getWidth() != 8) ||
      !node.inputs[0].getDefiningOp<ConstantOp>())
    return node.error() << "only constant 2-D int4/uint4/int8/uint8 weights "
                           "are dequantized (quantized activations are not "
                           "supported), got "
                        << xType;
  MLIRContext *context = node.builder.getContext();
  // ONNX INT8 imports signless: the qweight wants it signed.
  if (storage.isSignless())
    storage =
        IntegerType::get(context, storage.getWidth(), IntegerType::Signed);
  const int64_t k = xType.getDimSize(0), n = xType.getDimSize(1);
  const int64_t block = node.intAttr("block_size", 0);
  int64_t axis = node.intAttr("axis", 1);
  if (axis < 0)
    axis += 2;
  auto scaleType = node.inputType(1);
  Type scaleElement = scaleType.getElementType();
  if (!scaleElement.isF32() && !scaleElement.isF16())
    return node.error() << "scales must be f32 or f16, got " << scaleElement;
  // Scales (and zero points) index: per tensor, per channel n, or [k / B, n].
  QuantGranularity granularity;
  int64_t groups;
  if (scaleType.getNumElements() == 1 && block == 0) {
    granularity = QuantGranularity::per_tensor;
    groups = 1;
  } else if (block == 0 && axis == 1 && scaleType.getRank() == 1 &&
             scaleType.getDimSize(0) == n) {
    granularity = QuantGranularity::per_channel;
    groups = 1;
  } else if (block > 0 && axis == 0 && scaleType.getRank() == 2 &&
             k % block == 0 && scaleType.getDimSize(0) == k / block &&
             scaleType.getDimSize(1) == n) {
    granularity = QuantGranularity::group;
    groups = k / block;
  } else {
    return node.error() << "scales " << scaleType << " with axis " << axis
                        << " and block_size " << block
                        << " do not describe a weight [" << k << ", " << n
                        << "] quantized per tensor, per output channel "
                           "(axis 1) or in blocks along its rows (axis 0, "
                           "block_size dividing "
                        << k << ")";
  }
  int64_t scaleCount = scaleType.getNumElements();
  FailureOr<std::vector<char>> codes =
      constantBytes(node, 0, k * n, 1, "the weight");
  FailureOr<std::vector<char>> scaleBytes = constantBytes(
      node, 1, scaleCount, scaleElement.isF32() ? 4 : 2, "the scales");
  if (failed(codes) || failed(scaleBytes))
    return failure();
  std::optional<std::vector<char>> zeroBytes;
  if (node.hasInput(2)) {
    FailureOr<std::vector<char>> zeros =
        constantBytes(node, 2, scaleCount, 1, "the zero points");
    if (failed(zeros))
      return failure();
    zeroBytes = std::move(*zeros);
  }
  auto scaleAt = [&](int64_t i) {
    if (scaleElement.isF32()) {
      float value;
      std::memcpy(&value, scaleBytes->data() + 4 * i, 4);
      return value;
    }
    uint16_t half;
    std::memcpy(&half, scaleBytes->data() + 2 * i, 2);
    return format::halfToFloat(half);
  };
  // The ONNX index of (output channel r, group g).
  auto sourceIndex = [&](int64_t r, int64_t g) -> int64_t {
    switch (granularity) {
    case QuantGranularity::per_tensor:
      return 0;
    case QuantGranularity::per_channel:
      return r;
    case QuantGranularity::group:
      return g * n + r;
    }
    return 0;
  };
  quant::QuantizedWeight q;
  int64_t scaleRows = granularity == QuantGranularity::per_tensor ? 1 : n;
  q.type = QWeightType::get(context, {n, k}, storage, granularity,
                            granularity == QuantGranularity::group ? block : 0,
                            scaleElement, zeroBytes ? Type(storage) : Type());
  q.codes.resize(n * k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t l = 0; l < k; ++l)
      q.codes[r * k + l] = static_cast<uint8_t>((*codes)[l * n + r]);
  for (int64_t r = 0; r < scaleRows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      q.scales.push_back(scaleAt(sourceIndex(r, g)));
      if (zeroBytes) {
        uint8_t byte = (*zeroBytes)[sourceIndex(r, g)];
        int32_t zero = storage.getWidth() == 4 ? byte & 0x0f : byte;
        if (storage.isSigned() && zero >= (1 << (storage.getWidth() - 1)))
          zero -= 1 << storage.getWidth();
        q.zeros.push_back(zero);
      }
    }
  QConstantOp constant =
      quant::createQConstant(node.builder, node.loc, q, node.node.input(0));
  Value dequantized = DequantizeOp::create(
      node.builder, node.loc, RankedTensorType::get({n, k}, scaleElement),
      constant);
  return SmallVector<Value>{TransposeOp::create(
      node.builder, node.loc, RankedTensorType::get({k, n}, scaleElement),
      dequantized, node.builder.getDenseI64ArrayAttr({1, 0}))};
}

} // namespace

void registerQuantConverters(ConverterMap &map) {
  map["com.microsoft.MatMulNBits"] = convertMatMulNBits;
  map["DequantizeLinear"] = convertDequantizeLinear;
}

} // namespace llmc::onnx_import
