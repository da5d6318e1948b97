//===- Kernel.h - what a kernel of the plan receives ----------------------===//
//
// A step of the plan calls a kernel by name with its input tensors, its
// output tensors (storage given, shapes to be set) and its parameters. The
// kernel sets each output's shape through KernelContext::setOutput, which
// checks it against the extents the compiler declared and the bytes it
// planned, then computes.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_KERNEL_H
#define LLMC_RUNTIME_EXEC_KERNEL_H

#include "runtime/exec/Tensor.h"
#include "runtime/format/Status.h"

#include <string>
#include <utility>
#include <vector>

namespace llmc::runtime {

class ThreadPool;
/// What CUDA kernels are given (runtime/cuda/CudaContext.h).
struct CudaContext;

/// A kernel's named parameters: integer lists (flags are 1) or floats.
class Params {
public:
  void addInts(std::string name, std::vector<int64_t> values);
  void addFloats(std::string name, std::vector<double> values);

  bool has(const std::string &name) const;
  int64_t integer(const std::string &name, int64_t otherwise) const;
  double real(const std::string &name, double otherwise) const;
  /// The list, or empty.
  const std::vector<int64_t> &ints(const std::string &name) const;

private:
  struct Entry {
    std::string name;
    std::vector<int64_t> ints;
    std::vector<double> floats;
  };
  const Entry *find(const std::string &name) const;
  std::vector<Entry> entries_;
};

struct KernelContext {
  const Params &params;
  /// Null for an absent optional operand.
  std::vector<const Tensor *> inputs;
  std::vector<Tensor *> outputs;
  /// Each output's declared extents with the symbols bound (-1: unknown).
  std::vector<Shape> declared;
  /// Bytes each output may take.
  std::vector<uint64_t> capacity;
  ThreadPool &pool;
  /// Set on a CUDA device: its stream, handles and generated kernels.
  CudaContext *cuda = nullptr;

  /// Sets output `index`'s shape, checked against what was declared and
  /// planned.
  Status setOutput(size_t index, Shape shape);
  /// Input `index`, or null when it is absent or beyond the inputs.
  const Tensor *optionalInput(size_t index) const {
    return index < inputs.size() ? inputs[index] : nullptr;
  }
  /// Input `index`, checked present and of `dtype`.
  Expected<const Tensor *> input(size_t index, DType dtype) const;
};

using KernelFn = Status (*)(KernelContext &);

// In a kernel taking `KernelContext &c`: `name` = input `index` of `dtype`,
// or return its error.
#define LLMC_INPUT(name, index, dtype)                                         \
  auto name##OrError = c.input(index, dtype);                                  \
  if (!name##OrError)                                                          \
    return name##OrError.status();                                             \
  const Tensor &name = **name##OrError;

#define LLMC_CHECK(status)                                                     \
  if (Status llmcStatus = (status); !llmcStatus)                               \
    return llmcStatus;

/// The CPU kernel called `name`, or null (runtime/cpu/KernelTable.cpp).
KernelFn findCpuKernel(const std::string &name);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_KERNEL_H
