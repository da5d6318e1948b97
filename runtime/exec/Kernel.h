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
#include "runtime/format/KernelContract.h"
#include "runtime/format/Status.h"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace llmc::runtime {

class ThreadPool;
/// What CUDA kernels are given (runtime/cuda/CudaContext.h).
struct CudaContext;
/// The ranks a sharded plan's communication kernels talk to
/// (runtime/parallel/Communicator.h).
struct RankLinks;

/// A kernel's parameters, read by the kernel contract's declaration of the
/// kernel (runtime/format/KernelContract.h): a parameter the declaration
/// lacks, a missing required one, or one of another type is an error naming
/// the kernel and the parameter. No lookup has a default: an optional
/// parameter's absence is asked with has() and means what the contract says.
class Params {
public:
  explicit Params(const format::KernelDecl &kernel) : kernel_(&kernel) {}

  void addInts(std::string name, std::vector<int64_t> values);
  void addFloats(std::string name, std::vector<double> values);

  const format::KernelDecl &kernel() const { return *kernel_; }
  /// Checks the parameters and the operand and result counts against the
  /// declaration.
  Status check(int64_t inputs, int64_t outputs) const;

  /// Whether the parameter is given (a flag: set).
  Expected<bool> has(const std::string &name) const;
  Expected<int64_t> integer(const std::string &name) const;
  Expected<double> real(const std::string &name) const;
  Expected<const std::vector<int64_t> *> ints(const std::string &name) const;

private:
  struct Entry {
    std::string name;
    std::vector<int64_t> ints;
    std::vector<double> floats;
  };
  /// The entry of declared parameter `name` (null when absent), or an
  /// error when `name` is not declared as one of `types`.
  Expected<const Entry *>
  find(const std::string &name,
       std::initializer_list<format::ParamType> types) const;
  Expected<const Entry *>
  findPresent(const std::string &name,
              std::initializer_list<format::ParamType> types) const;
  Status error(const std::string &name, const std::string &what) const;

  const format::KernelDecl *kernel_;
  std::vector<Entry> entries_;
};

/// How a linear-like call asks an input of its GEMMs to be rounded (its
/// parameters of format::kInputRounding or kHiddenRounding): to int8 per
/// row, to fp8 E4M3 with a scale per call, or with a static scale (> 0).
struct ActivationRounding {
  bool int8 = false, fp8Dynamic = false;
  float fp8Scale = 0.0f;
};
Expected<ActivationRounding>
activationRounding(const Params &params, const format::RoundingParams &names);

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
  /// Set on a rank of a sharded model: whom all_reduce, all_gather, send
  /// and recv talk to.
  const RankLinks *links = nullptr;
  /// Set while a paged cache evicts by received attention (h2o): for row
  /// b of the call's sequences, cached_attention adds the attention each
  /// position receives from the call's queries into attentionReceived[b]
  /// (kernels::receivedSlot gives where).
  float *const *attentionReceived = nullptr;
  /// The arena bytes memory planning gave the call as scratch (the kernel
  /// contract's scratch rule), handed out by takeScratch.
  uint8_t *scratch = nullptr;
  uint64_t scratchBytes = 0, scratchTaken = 0;
  /// Each thread's scratch (the contract's per-worker rules): the pool's
  /// threads' blocks of workerScratchBytes, one after another.
  uint8_t *workerScratch = nullptr;
  uint64_t workerScratchBytes = 0;

  /// Sets output `index`'s shape, checked against what was declared and
  /// planned.
  Status setOutput(size_t index, Shape shape);
  /// Input `index`, or null when it is absent or beyond the inputs.
  const Tensor *optionalInput(size_t index) const {
    return index < inputs.size() ? inputs[index] : nullptr;
  }
  /// The next `bytes` of the call's planned scratch (aligned to
  /// format::kScratchAlignment), or an error when the plan gave less: the
  /// kernel and the contract's scratch rule disagree, or the call is
  /// larger than planned.
  Expected<void *> takeScratch(uint64_t bytes);
  /// The running thread's block of the per-worker scratch
  /// (ThreadPool::slot()), or an error when `bytes` exceed a block.
  Expected<uint8_t *> workerScratchFor(uint64_t bytes) const;
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

// `name` = the value of `expected` (a parameter lookup), or return its
// error.
#define LLMC_PARAM(name, expected)                                             \
  auto name##OrError = (expected);                                             \
  if (!name##OrError)                                                          \
    return name##OrError.status();                                             \
  auto name = *name##OrError;

#define LLMC_CHECK(status)                                                     \
  if (Status llmcStatus = (status); !llmcStatus)                               \
    return llmcStatus;

/// One entry of a device's kernel table: a kernel of the contract and its
/// implementation.
struct KernelEntry {
  const char *name;
  KernelFn run;
};

/// The CPU device's kernels (runtime/cpu/KernelTable.cpp).
const std::vector<KernelEntry> &cpuKernelTable();
/// The CPU kernel called `name`, or null.
KernelFn findCpuKernel(const std::string &name);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_KERNEL_H
