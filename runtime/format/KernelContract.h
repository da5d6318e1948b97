//===- KernelContract.h - the kernels a plan may call, declared once ------===//
//
// Every kernel a `plan.call` may name, with its operands, results and
// parameters (name, type, enum cases, required or not). It is the one
// contract between the compiler and the devices:
// - the plan dialect's verifier checks each `plan.call` against it;
// - the artifact writer writes each parameter in its declared form, and the
//   loader checks each step of an artifact against it;
// - kernels read their parameters through `runtime::Params`, which knows the
//   declaration: a missing or undeclared parameter is an error naming the
//   kernel and the parameter, never a silent default;
// - a test fails when a declared kernel has no CPU implementation, and both
//   devices' kernel tables accept only declared names.
// docs/plan.md shows this table (describeContract(), checked by a test) and
// what the kernels compute.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_KERNELCONTRACT_H
#define LLMC_RUNTIME_FORMAT_KERNELCONTRACT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmc::format {

enum class ParamType : uint8_t {
  /// Present or not (MLIR: a unit attribute; the artifact: the integer 1).
  flag,
  /// One integer.
  integer,
  /// One of named cases, by number (the cases of an llmc enum attribute).
  enumeration,
  /// One float.
  real,
  /// A list of integers (MLIR: array<i64: ...>).
  integers,
};

struct ParamDecl {
  const char *name;
  ParamType type;
  /// A required parameter is on every call. An optional one's absence has a
  /// meaning the declaration's `doc` gives (no window, no soft cap, ...).
  bool required;
  const char *doc;
  /// For enumeration: the case names, '|'-separated; case i is the value i.
  const char *cases = "";

  /// The number of cases of an enumeration.
  int64_t caseCount() const;
  /// Case `value`'s name, or "" out of range.
  std::string caseName(int64_t value) const;
};

/// The parameters by which the quantization passes ask a linear-like
/// kernel to round an input of its GEMMs as a GEMM of codes takes it: to
/// fp8 E4M3 with a static scale or one per call (llmc-quantize-fp8), or to
/// int8 with a scale per row (llmc-quantize-int8). Of x, and of down's
/// input in gated_mlp and mlp.
struct RoundingParams {
  const char *fp8Scale, *fp8Dynamic, *int8Dynamic;
};
inline constexpr RoundingParams kInputRounding{
    "llmc.fp8_act_scale", "llmc.fp8_act_dynamic", "llmc.int8_act_dynamic"};
inline constexpr RoundingParams kHiddenRounding{"llmc.fp8_hidden_act_scale",
                                                "llmc.fp8_hidden_act_dynamic",
                                                "llmc.int8_hidden_act_dynamic"};

/// What a kernel's scratch rule sees of a call: each operand position's
/// extents at their largest (empty for an absent operand; a quantized
/// weight's logical [out, in]), which operands are quantized weights, and
/// the names of its parameters.
struct CallShapes {
  std::vector<std::vector<int64_t>> operands;
  std::vector<std::string> params;
  /// Per operand: its group size when it is a quantized weight, else 0.
  std::vector<int64_t> quantGroups;
  /// Per operand: bytes per element (none given: 4 each).
  std::vector<int64_t> elementBytes;

  bool has(std::string_view param) const;
  /// The product of operand `index`'s extents (0 when absent).
  int64_t elements(size_t index) const;
};

/// The most query rows (tokens x heads of a group) one attention task of
/// the CPU kernel takes: its scores and key table per worker scale with it.
inline constexpr int64_t kAttentionRowsPerTask = 8;

/// Scratch is handed out in pieces aligned to this many bytes.
inline constexpr int64_t kScratchAlignment = 64;
/// `bytes` rounded up to a whole piece of scratch.
inline constexpr int64_t scratchPiece(int64_t bytes) {
  return (bytes + kScratchAlignment - 1) / kScratchAlignment *
         kScratchAlignment;
}

struct KernelDecl {
  const char *name;
  /// Operands, comma-separated, in call order: `x` one, `bias?` one that may
  /// be absent (then listed in the call's `absent`), `inputs*` any number,
  /// `weights+` one or more.
  const char *operands;
  /// Results, in the same notation.
  const char *results;
  const ParamDecl *params;
  size_t paramCount;
  /// For counts that depend on each other (linears: one weight per result,
  /// then all biases or none): the error for `inputs` operands and
  /// `outputs` results, or "" when they fit.
  std::string (*countsFit)(int64_t inputs, int64_t outputs) = nullptr;
  /// The bytes of scratch the CPU kernel takes besides its results for a
  /// call of these shapes, in pieces of scratchPiece() (null: none). Memory
  /// planning gives each call this much of the arena for the call's
  /// duration; the kernel takes it through KernelContext::takeScratch.
  int64_t (*scratchBytes)(const CallShapes &call) = nullptr;
  /// The bytes each worker thread of the CPU kernel needs while it runs
  /// (null: none). Memory planning records the largest over an entry
  /// point; the runtime gives each thread of its pool that much
  /// (KernelContext::workerScratchFor).
  int64_t (*workerScratchBytes)(const CallShapes &call) = nullptr;

  /// The declaration of parameter `name`, or null.
  const ParamDecl *param(std::string_view name) const;
  /// The fewest and most operands (max -1: no limit); likewise results.
  void operandRange(int64_t &min, int64_t &max) const;
  void resultRange(int64_t &min, int64_t &max) const;
  /// Whether operand `position` is declared optional (`name?`).
  bool mayBeAbsent(int64_t position) const;
};

/// The declaration of kernel `name`, or null.
const KernelDecl *findKernel(std::string_view name);
/// Every declared kernel, in the contract's order.
const std::vector<const KernelDecl *> &allKernels();

/// A parameter as a call carries it.
struct ParamValue {
  enum class Form : uint8_t {
    // As MLIR attributes tell them apart.
    unit,
    integer,
    real,
    integers,
    // As the artifact stores them: a list of integers (a flag, an integer,
    // an enumeration case or a list) or of floats.
    storedInts,
    storedReals,
  };
  std::string name;
  Form form;
  /// Elements of a list; 1 for a scalar or unit.
  int64_t count = 1;
  /// The first integer, if any.
  int64_t first = 0;
};

/// Why a call of `kernel` with `inputs` operands (absent optional ones
/// counted), `outputs` results and `params` breaks the contract, or "" when
/// it keeps it. Names the kernel and the offending operand count or
/// parameter.
std::string checkCall(const KernelDecl &kernel, int64_t inputs, int64_t outputs,
                      const std::vector<ParamValue> &params);

/// The contract as a Markdown table (kernel, operands -> results,
/// parameters), as docs/plan.md shows it.
std::string describeContract();

} // namespace llmc::format

#endif // LLMC_RUNTIME_FORMAT_KERNELCONTRACT_H
