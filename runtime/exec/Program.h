//===- Program.h - the artifact's plan, checked and ready to execute ------===//
//
// The "plan" section decoded into plain structs: for each entry point its
// symbols, values (where each lives and its declared extents) and steps
// (each bound to its kernel). Loading checks every index, every arena range
// and every weight's size against the artifact, so the executor can trust
// them; a plan naming a kernel this runtime lacks is refused here.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_EXEC_PROGRAM_H
#define LLMC_RUNTIME_EXEC_PROGRAM_H

#include "kernels/cpu/QuantLinear.h"
#include "runtime/exec/Device.h"
#include "runtime/exec/Kernel.h"
#include "runtime/format/Artifact.h"

#include <deque>
#include <memory>
#include <optional>

namespace llmc::runtime {

/// One extent: static (size >= 0), a sum of the entry's symbols, or
/// unknown (size -1 and no symbols).
struct DimSpec {
  int64_t size = -1;
  std::vector<int> symbols;
};

enum class ValueKind { arena, weight, argument, alias };

struct ValueSpec {
  DType dtype = DType::f32;
  std::vector<DimSpec> dims;
  ValueKind kind = ValueKind::arena;
  uint64_t offset = 0, bytes = 0;
  int32_t source = -1;
  /// A weight's bytes where the device's kernels read them.
  const uint8_t *weight = nullptr;
  /// A quantized weight's codes, scales and zero points in those bytes.
  std::optional<kernels::QuantWeight> quant;
};

struct StepSpec {
  std::string kernel, location;
  KernelFn run = nullptr;
  std::vector<int32_t> inputs, outputs;
  /// Checked against the kernel's declaration when the artifact loads.
  Params params;
  /// The arena bytes the kernel may use while it runs (offset -1: none).
  int64_t scratchOffset = -1;
  uint64_t scratchBytes = 0;
};

struct SymbolSpec {
  std::string name;
  int32_t argument = 0, axis = -1;
  int64_t bound = 0;
  /// Whether some value's extent depends on it (else only kernels read it,
  /// on the device: a recording stays valid when it changes).
  bool sizes = false;
};

struct EntrySpec {
  std::string name;
  std::vector<SymbolSpec> symbols;
  std::vector<ValueSpec> values;
  std::vector<int32_t> arguments, results;
  std::vector<StepSpec> steps;
  uint64_t arenaBytes = 0;
  /// What each thread of the pool gets while a step runs (its kernels'
  /// per-worker scratch).
  uint64_t workerScratchBytes = 0;
};

class Program {
public:
  /// Decodes and checks the plan in section `section` of `artifact`
  /// (which must outlive it): "plan", or a draft model's "draft plan";
  /// binding each step to `device`'s kernel and each weight to its bytes
  /// on `device` (Device::weight).
  static Expected<Program> load(const Artifact &artifact, Device &device,
                                const std::string &section = "plan");

  /// The entry point called `name`, or null.
  const EntrySpec *entry(const std::string &name) const;
  const std::vector<EntrySpec> &entries() const { return entries_; }
  /// The bytes of the weights filled at load (a --dummy-weights artifact).
  uint64_t dummyWeightBytes() const;
  /// The weight sections the plan reads.
  const std::vector<std::string> &weightSections() const {
    return weightSections_;
  }

private:
  std::vector<EntrySpec> entries_;
  std::vector<std::string> weightSections_;
  /// The weights of a --dummy-weights artifact, filled at load.
  std::deque<std::vector<uint8_t>> dummyWeights_;
  /// Quantized weights in the device's own layout (Device::pack).
  std::vector<std::shared_ptr<const kernels::PackedQuant>> packed_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_EXEC_PROGRAM_H
