//===- ConvertQuantOps.cpp - pre-quantized ONNX weights to llmc -----------===//
//
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
#include "mlir/IR/DialectResourceBlobManager.h"

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
    weight =
        ConstantOp::create(node.builder, node.loc,
                           DenseResourceElementsAttr::get(
                               type, source + ".dequantized",
                               HeapAsmResourceBlob::allocateAndCopyWithAlign(
                                   bytes, alignof(float))));
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

} // namespace

void registerQuantConverters(ConverterMap &map) {
  map["com.microsoft.MatMulNBits"] = convertMatMulNBits;
}

} // namespace llmc::onnx_import
