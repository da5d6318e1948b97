//===- TensorImport.cpp - ONNX TensorProto to MLIR attributes and types ---===//

#include "compiler/import/TensorImport.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/Alignment.h"

using namespace mlir;

namespace llmc::onnx_import {

// ONNX 1.16's 4-bit element types (Debian's onnx.proto predates them).
constexpr int32_t kOnnxUint4 = 21, kOnnxInt4 = 22;

FailureOr<Type> importElementType(int32_t dataType, MLIRContext *context,
                                  Location loc, StringRef what,
                                  bool initializer) {
  Builder b(context);
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return Type(b.getF32Type());
  case onnx::TensorProto::FLOAT16:
    return Type(b.getF16Type());
  case onnx::TensorProto::BFLOAT16:
    return Type(b.getBF16Type());
  case onnx::TensorProto::INT64:
    return Type(b.getI64Type());
  case onnx::TensorProto::INT32:
    return Type(b.getI32Type());
  case onnx::TensorProto::BOOL:
    return Type(b.getI1Type());
  case onnx::TensorProto::UINT8: // packed 4-bit weights, zero points
    return Type(IntegerType::get(context, 8, IntegerType::Unsigned));
  case onnx::TensorProto::INT8:
    return Type(b.getIntegerType(8));
  case kOnnxUint4: // blocked weights of DequantizeLinear
    if (initializer)
      return Type(IntegerType::get(context, 4, IntegerType::Unsigned));
    break;
  case kOnnxInt4:
    if (initializer)
      return Type(IntegerType::get(context, 4, IntegerType::Signed));
    break;
  default:
    break;
  }
  std::string name = onnx::TensorProto::DataType_Name(
      static_cast<onnx::TensorProto::DataType>(dataType));
  emitError(loc) << what << ": unsupported ONNX element type "
                 << (name.empty() ? "<unknown>" : name) << " (" << dataType
                 << "); llmc imports FLOAT, FLOAT16, BFLOAT16, INT64, INT32, "
                    "INT8, UINT8 and BOOL (and INT4, UINT4 weights)";
  return failure();
}

/// Bytes per element as ONNX stores them in raw_data (4-bit elements are
/// packed two per byte and unpacked on import: see importTensor).
static int64_t storageBytes(Type elementType) {
  return elementType.isInteger(1) || elementType.isInteger(4)
             ? 1
             : static_cast<int64_t>(elementType.getIntOrFloatBitWidth() / 8);
}

/// The typed-field contents of `tensor` (float_data, int64_data, ...) as
/// little-endian bytes in raw_data layout.
static std::vector<char> typedFieldBytes(const onnx::TensorProto &tensor,
                                         Type elementType) {
  std::vector<char> bytes;
  auto append = [&](auto value) {
    const char *begin = reinterpret_cast<const char *>(&value);
    bytes.insert(bytes.end(), begin, begin + sizeof(value));
  };
  if (elementType.isF32())
    for (float value : tensor.float_data())
      append(value);
  else if (elementType.isInteger(64))
    for (int64_t value : tensor.int64_data())
      append(value);
  else if (elementType.isInteger(32))
    for (int32_t value : tensor.int32_data())
      append(value);
  else if (elementType.isInteger(1))
    for (int32_t value : tensor.int32_data())
      append(static_cast<uint8_t>(value != 0));
  else if (elementType.isInteger(8) || elementType.isInteger(4))
    for (int32_t value : tensor.int32_data()) // 4-bit: two per entry
      append(static_cast<uint8_t>(value));
  else // f16 and bf16 bit patterns are stored in int32_data.
    for (int32_t value : tensor.int32_data())
      append(static_cast<uint16_t>(value));
  return bytes;
}

FailureOr<ElementsAttr> importTensor(const std::shared_ptr<OnnxModelFile> &file,
                                     const onnx::TensorProto &tensor,
                                     MLIRContext *context, Location loc,
                                     int64_t inlineElementLimit,
                                     llvm::StringRef unnamed) {
  std::string what = "tensor '" + tensor.name() + "'";
  FailureOr<Type> elementType =
      importElementType(tensor.data_type(), context, loc, what,
                        /*initializer=*/true);
  if (failed(elementType))
    return failure();
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || __builtin_mul_overflow(count, dim, &count)) {
      emitError(loc) << what << ": invalid dimensions (negative, or their "
                     << "product overflows int64)";
      return failure();
    }
    shape.push_back(dim);
  }
  int64_t elementBytes = storageBytes(*elementType);
  int64_t byteSize;
  if (__builtin_mul_overflow(count, elementBytes, &byteSize)) {
    emitError(loc) << what << ": size in bytes overflows int64";
    return failure();
  }
  auto type = RankedTensorType::get(shape, *elementType);

  // Where the bytes are: mapped external data, raw_data in the proto (kept
  // alive with the file), or typed fields copied out.
  ArrayRef<char> bytes;
  std::vector<char> copied;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<ArrayRef<char>> external = file->getExternalData(tensor, loc);
    if (failed(external))
      return failure();
    bytes = *external;
  } else if (tensor.has_raw_data()) {
    bytes = ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size());
  } else {
    copied = typedFieldBytes(tensor, *elementType);
    bytes = copied;
  }
  if (elementType->isInteger(4)) {
    // Two per byte, the first in the low nibble: one per byte in MLIR's
    // storage, sign-extended for INT4.
    int64_t packed = (count + 1) / 2;
    if (static_cast<int64_t>(bytes.size()) != packed) {
      emitError(loc) << what << ": holds " << bytes.size() << " bytes, but "
                     << type << " needs " << packed << " (two per byte)";
      return failure();
    }
    std::vector<char> unpacked(count);
    bool isSigned = elementType->isSignedInteger();
    for (int64_t i = 0; i < count; ++i) {
      int nibble = (static_cast<uint8_t>(bytes[i / 2]) >> (4 * (i % 2))) & 0xf;
      unpacked[i] =
          static_cast<char>(isSigned && nibble >= 8 ? nibble - 16 : nibble);
    }
    copied = std::move(unpacked);
    bytes = copied;
  }
  if (static_cast<int64_t>(bytes.size()) != byteSize) {
    emitError(loc) << what << ": holds " << bytes.size() << " bytes, but "
                   << type << " needs " << byteSize;
    return failure();
  }

  if (count <= inlineElementLimit || elementType->isInteger(1)) {
    if (elementType->isInteger(1)) {
      SmallVector<bool> values;
      for (char byte : bytes)
        values.push_back(byte != 0);
      return ElementsAttr(DenseElementsAttr::get(type, values));
    }
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, bytes));
  }
  size_t align = static_cast<size_t>(elementBytes);
  AsmResourceBlob blob;
  if (copied.empty() && llvm::isAddrAligned(llvm::Align(align), bytes.data())) {
    // Reference the model's memory; the deleter keeps the file alive.
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        bytes, align, [keepAlive = file](void *, size_t, size_t) {});
  } else {
    blob =
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align,
                                                      /*dataIsMutable=*/false);
  }
  llvm::StringRef name = tensor.name().empty() ? unnamed : tensor.name();
  return ElementsAttr(
      DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

} // namespace llmc::onnx_import
