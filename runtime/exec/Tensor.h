//===- Tensor.h - a typed, shaped view of bytes the executor owns ---------===//
//
// What kernels see of a plan value: element type, extents (row-major,
// contiguous) and a pointer into the arena, a weight section or a caller's
// buffer. Tensors never own their bytes.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_TENSOR_H
#define LLMC_RUNTIME_EXEC_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace llmc::kernels {
struct QuantWeight;
} // namespace llmc::kernels

namespace llmc::runtime {

/// The element types of the artifact (format::DType, same numbering).
enum class DType : int8_t {
  f32 = 0,
  f16,
  bf16,
  i64,
  i32,
  i8,
  u8,
  boolean,
  f8e4m3
};

int64_t dtypeBytes(DType dtype);
const char *dtypeName(DType dtype);

using Shape = std::vector<int64_t>;

int64_t elementCount(const Shape &shape);
/// "[1, 7, 64]".
std::string shapeString(const Shape &shape);

struct Tensor {
  DType dtype = DType::f32;
  Shape shape;
  uint8_t *data = nullptr;
  /// Set on a quantized weight (dtype u8, shape [n, k]): how to read it.
  const kernels::QuantWeight *quant = nullptr;

  int64_t elements() const { return elementCount(shape); }
  int64_t bytes() const { return elements() * dtypeBytes(dtype); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  template <typename T> T *as() const { return reinterpret_cast<T *>(data); }
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_TENSOR_H
