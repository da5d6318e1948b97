//===- Tensor.cpp - element types and shapes ------------------------------===//

#include "runtime/exec/Tensor.h"

namespace llmc::runtime {

int64_t dtypeBytes(DType dtype) {
  switch (dtype) {
  case DType::f32:
  case DType::i32:
    return 4;
  case DType::f16:
  case DType::bf16:
    return 2;
  case DType::i64:
    return 8;
  case DType::i8:
  case DType::u8:
  case DType::boolean:
  case DType::f8e4m3:
    return 1;
  }
  return 1;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::f32:
    return "f32";
  case DType::f16:
    return "f16";
  case DType::bf16:
    return "bf16";
  case DType::i64:
    return "i64";
  case DType::i32:
    return "i32";
  case DType::i8:
    return "i8";
  case DType::u8:
    return "u8";
  case DType::boolean:
    return "bool";
  case DType::f8e4m3:
    return "f8e4m3";
  }
  return "?";
}

int64_t elementCount(const Shape &shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  return count;
}

std::string shapeString(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

} // namespace llmc::runtime
