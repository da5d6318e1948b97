//===- KernelContract.cpp - the declarations of the plan's kernels --------===//

#include "runtime/format/KernelContract.h"

#include "runtime/format/GemmPlan.h"
#include "runtime/format/QuantLayout.h"

#include <algorithm>
#include <iterator>

namespace llmc::format {

namespace {

using T = ParamType;

//===----------------------------------------------------------------------===//
// Parameters shared by several kernels
//===----------------------------------------------------------------------===//

#define LLMC_GEMM_PARAMS                                                       \
  {kGemmEpilogues, T::integers, false,                                         \
   "CUDA target: the cuBLASLt epilogue of each GEMM, in the order the kernel " \
   "runs them (runtime/format/GemmPlan.h)"},                                   \
  {                                                                            \
    kGemmCompute, T::enumeration, false,                                       \
        "CUDA target: the GEMMs' accumulation type", "f32"                     \
  }

#define LLMC_INPUT_ACT_PARAMS                                                  \
  {kInputRounding.fp8Scale, T::real, false,                                    \
   "round the input to fp8 E4M3 with this scale first"},                       \
      {kInputRounding.fp8Dynamic, T::flag, false,                              \
       "round the input to fp8 E4M3 with a scale per call first"},             \
  {                                                                            \
    kInputRounding.int8Dynamic, T::flag, false,                                \
        "round the input to int8 with a scale per token first"                 \
  }

#define LLMC_HIDDEN_ACT_PARAMS                                                 \
  {kHiddenRounding.fp8Scale, T::real, false,                                   \
   "round down's input to fp8 E4M3 with this scale first"},                    \
      {kHiddenRounding.fp8Dynamic, T::flag, false,                             \
       "round down's input to fp8 E4M3 with a scale per call first"},          \
  {                                                                            \
    kHiddenRounding.int8Dynamic, T::flag, false,                               \
        "round down's input to int8 with a scale per token first"              \
  }

constexpr const char *kActivations = "silu|gelu|gelu_tanh";

constexpr ParamDecl kLinearParams[] = {LLMC_INPUT_ACT_PARAMS, LLMC_GEMM_PARAMS};
constexpr ParamDecl kGatedMlpParams[] = {
    {"activation", T::enumeration, true, "of the gate", kActivations},
    LLMC_INPUT_ACT_PARAMS,
    LLMC_HIDDEN_ACT_PARAMS,
    LLMC_GEMM_PARAMS};
constexpr ParamDecl kMlpParams[] = {
    {"activation", T::enumeration, true, "between up and down", kActivations},
    LLMC_INPUT_ACT_PARAMS,
    LLMC_HIDDEN_ACT_PARAMS,
    LLMC_GEMM_PARAMS};
constexpr ParamDecl kNormParams[] = {
    {"epsilon", T::real, true, "added to the variance"}};
constexpr ParamDecl kRopeParams[] = {
    {"mode", T::enumeration, true,
     "which features rotate together: pairs (2i, 2i+1) or (i, i + d/2)",
     "interleaved|half"}};
constexpr ParamDecl kAttentionParams[] = {
    {"layer", T::integer, true, "the layer's plane of the cache"},
    {"causal", T::flag, false, "query i sees keys up to position + i only"},
    {"scale", T::real, true, "multiplies the scores"},
    {"window", T::integer, false,
     "a query sees only its last `window` keys (absent: all)"},
    {"softcap", T::real, false,
     "scaled scores s become tanh(s / c) c (absent: none)"},
    {"slot_offset", T::integer, false,
     "the first slot of the layer's ring in its plane (with `slots`; "
     "absent: the whole plane)"},
    {"slots", T::integer, false,
     "the ring's length: position p is in slot slot_offset + p % slots"},
    {"head_offset", T::integer, false,
     "the layer's first kv head in its plane, which holds more (absent: "
     "0)"}};
constexpr ParamDecl kFusedParams[] = {
    {"program", T::integers, true,
     "triples (opcode, a, b) of runtime/format/ElementwiseProgram.h"},
    {"cuda_kernel", T::integer, false,
     "CUDA target: the generated function llmc_fused_N"}};
constexpr ParamDecl kGeluParams[] = {
    {"tanh", T::flag, false, "the tanh approximation (absent: exact erf)"}};
constexpr ParamDecl kCompareParams[] = {
    {"kind", T::enumeration, true, "the predicate", "eq|ne|lt|le|gt|ge"}};
constexpr ParamDecl kReduceParams[] = {
    {"axes", T::integers, true, "the reduced axes"},
    {"keep_dims", T::flag, false, "reduced axes stay, of extent 1"}};
constexpr ParamDecl kAxisParams[] = {{"axis", T::integer, true, "the axis"}};
constexpr ParamDecl kAllReduceParams[] = {
    {"ranks", T::integer, true, "the stage's tensor-parallel ranks it sums"}};
constexpr ParamDecl kAllGatherParams[] = {
    {"axis", T::integer, true, "the axis the ranks' slices join along"},
    {"ranks", T::integer, true, "the stage's tensor-parallel ranks"}};
constexpr ParamDecl kStageParams[] = {
    {"stage", T::integer, true,
     "the peer's pipeline stage (its rank: the same tensor-parallel rank)"}};
constexpr ParamDecl kCumsumParams[] = {
    {"axis", T::integer, true, "the axis"},
    {"exclusive", T::flag, false, "each sum leaves out its own element"},
    {"reverse", T::flag, false, "sum from the end"}};
constexpr ParamDecl kTransposeParams[] = {
    {"permutation", T::integers, true, "result axis i is input axis p[i]"}};
constexpr ParamDecl kGatherNdParams[] = {
    {"batch_dims", T::integer, true,
     "leading axes shared by data and indices"}};
constexpr ParamDecl kTriluParams[] = {
    {"k", T::integer, true, "the diagonal's offset"},
    {"upper", T::flag, false, "keep the upper triangle (absent: the lower)"}};
constexpr ParamDecl kSliceParams[] = {
    {"offsets", T::integers, true,
     "first element per axis (negative: from "
     "the end)"},
    {"strides", T::integers, true, "step per axis"}};
constexpr ParamDecl kSplitParams[] = {
    {"axis", T::integer, true, "the axis"},
    {"even", T::flag, false,
     "ONNX's num_outputs split: pieces of ceil(extent / outputs)"}};

/// The f32 copy of `elements` inputs that linear-like kernels round to fp8
/// or int8 first when the call asks for it by `names`.
int64_t roundedInput(const CallShapes &call, int64_t elements,
                     const RoundingParams &names) {
  bool rounded = call.has(names.fp8Scale) || call.has(names.fp8Dynamic) ||
                 call.has(names.int8Dynamic);
  return rounded ? scratchPiece(elements * 4) : 0;
}

/// Whether an operand in [first, last) is a quantized weight.
bool anyQuantized(const CallShapes &call, size_t first, size_t last) {
  for (size_t i = first; i < last && i < call.quantGroups.size(); ++i)
    if (call.quantGroups[i] > 0)
      return true;
  return false;
}

/// x [.., k] in int8 blocks (QuantLayout.h), which the CPU kernels make
/// when a weight they multiply it by is quantized and packed for the AVX2
/// integer path: planned whenever one is `quantized`, whatever the CPU.
int64_t int8Blocks(bool quantized, int64_t elements, int64_t k) {
  if (!quantized || k <= 0 || k % kInt8ActivationBlock != 0)
    return 0;
  return scratchPiece(int8BlocksLayout(elements / k, k).totalBytes);
}

int64_t inputFeatures(const CallShapes &call) {
  const std::vector<int64_t> &x = call.operands[0];
  return x.empty() ? 0 : x.back();
}

int64_t roundedX(const CallShapes &call) {
  return roundedInput(call, call.elements(0), kInputRounding);
}

/// linear, linears, lm_head: x rounded, or in int8 blocks for a packed
/// weight (any of linears').
int64_t linearScratch(const CallShapes &call) {
  return roundedX(call) +
         int8Blocks(anyQuantized(call, 1, call.quantGroups.size()),
                    call.elements(0), inputFeatures(call));
}

/// rows [.., dim] of x times the features of weight operand `weight`.
int64_t hiddenElements(const CallShapes &call, size_t weight) {
  const std::vector<int64_t> &x = call.operands[0];
  if (x.empty() || x.back() == 0 || call.operands[weight].size() != 2)
    return 0;
  return call.elements(0) / x.back() * call.operands[weight][0];
}

int64_t roundedHidden(const CallShapes &call, int64_t hidden) {
  return roundedInput(call, hidden, kHiddenRounding);
}

/// gated_mlp: act(gate x) and up x, f32 [rows, hidden] each; x and the
/// hidden rounded, or in int8 blocks for packed weights.
int64_t gatedMlpScratch(const CallShapes &call) {
  int64_t hidden = hiddenElements(call, 1);
  int64_t features = call.operands[1].empty() ? 0 : call.operands[1][0];
  return 2 * scratchPiece(hidden * 4) + roundedX(call) +
         roundedHidden(call, hidden) +
         int8Blocks(anyQuantized(call, 1, 3), call.elements(0),
                    inputFeatures(call)) +
         int8Blocks(anyQuantized(call, 3, 4), hidden, features);
}

/// mlp: act(up x + b), f32 [rows, hidden]; x and the hidden as gated_mlp.
int64_t mlpScratch(const CallShapes &call) {
  int64_t hidden = hiddenElements(call, 1);
  int64_t features = call.operands[1].empty() ? 0 : call.operands[1][0];
  return scratchPiece(hidden * 4) + roundedX(call) +
         roundedHidden(call, hidden) +
         int8Blocks(anyQuantized(call, 1, 2), call.elements(0),
                    inputFeatures(call)) +
         int8Blocks(anyQuantized(call, 2, 3), hidden, features);
}

/// cached_attention, per worker: a task's scores [rows, span] and its
/// table of key and value rows [2, span], where span (the keys a task
/// sees) is at most a sequence's capacity (the cache plane's slots, or a
/// paged cache's blocks x block tokens) plus a task's rows; when the
/// cache holds other than f32 (a paged cache's f16, bf16, int8 or fp8),
/// the table of those rows where they are held [2, span] and their scales
/// [2, span]; and, paged, the attention each key received [span] (h2o
/// eviction sums it).
int64_t attentionWorkerScratch(const CallShapes &call) {
  const std::vector<int64_t> &cache = call.operands[3];
  if (cache.size() != 6)
    return 0;
  const bool paged = call.operands.size() > 5 && call.operands[5].size() == 2;
  const int64_t bytes = call.elementBytes.size() > 3 ? call.elementBytes[3] : 4;
  // An int8 or fp8 plane's last row is its scale.
  const int64_t blockTokens = cache[4] - (bytes == 1 ? 1 : 0);
  int64_t span = (paged ? call.operands[5][1] * blockTokens : cache[4]) +
                 kAttentionRowsPerTask;
  return scratchPiece(kAttentionRowsPerTask * span * 4) +
         scratchPiece(2 * span * 8) +
         (paged && bytes != 4
              ? scratchPiece(2 * span * 8) + scratchPiece(2 * span * 4)
              : 0) +
         (paged ? scratchPiece(span * 4) : 0);
}

/// Per worker, with quantized weights: the quantized linear's workspace
/// for the largest of them (QuantLayout.h's quantLinearWorkBytes: prefill's
/// block of dequantized rows, decode's intermediates).
int64_t quantWorkerScratch(const CallShapes &call) {
  int64_t features = inputFeatures(call);
  if (features <= 0)
    return 0;
  const int64_t rows = call.elements(0) / features;
  int64_t most = 0;
  for (size_t i = 1; i < call.operands.size(); ++i)
    if (i < call.quantGroups.size() && call.quantGroups[i] > 0 &&
        call.operands[i].size() == 2)
      most =
          std::max(most, scratchPiece(quantLinearWorkBytes(
                             rows, call.operands[i][1], call.quantGroups[i])));
  return most;
}

/// linears: x, one weight per result, then a bias per result or none.
std::string linearsCountsFit(int64_t inputs, int64_t outputs) {
  if (inputs == 1 + outputs || inputs == 1 + 2 * outputs)
    return "";
  return "takes x, one weight per result and a bias per result or none: " +
         std::to_string(inputs) + " operands do not fit " +
         std::to_string(outputs) + " results";
}

#define LLMC_KERNEL(name, operands, results, params)                           \
  KernelDecl { name, operands, results, params, std::size(params) }
#define LLMC_PLAIN_KERNEL(name, operands, results)                             \
  KernelDecl { name, operands, results, nullptr, 0 }
#define LLMC_SCRATCH_KERNEL(name, operands, results, params, scratch)          \
  KernelDecl {                                                                 \
    name, operands, results, params, std::size(params), nullptr, scratch,      \
        quantWorkerScratch                                                     \
  }

const KernelDecl kKernels[] = {
    // Transformer ops.
    LLMC_PLAIN_KERNEL("embedding", "table, ids", "y"),
    LLMC_SCRATCH_KERNEL("linear", "x, weight, bias?", "y", kLinearParams,
                        linearScratch),
    KernelDecl{"linears", "x, weights+, biases*", "ys+", kLinearParams,
               std::size(kLinearParams), linearsCountsFit, linearScratch,
               quantWorkerScratch},
    LLMC_SCRATCH_KERNEL("lm_head", "x, weight", "logits", kLinearParams,
                        linearScratch),
    LLMC_KERNEL("rms_norm", "x, weight", "y", kNormParams),
    LLMC_KERNEL("layer_norm", "x, weight, bias?", "y", kNormParams),
    LLMC_KERNEL("add_rms_norm", "a, b, weight", "sum, y", kNormParams),
    LLMC_KERNEL("add_layer_norm", "a, b, weight, bias?", "sum, y", kNormParams),
    LLMC_SCRATCH_KERNEL("gated_mlp", "x, gate, up, down", "y", kGatedMlpParams,
                        gatedMlpScratch),
    LLMC_SCRATCH_KERNEL("mlp", "x, up, down, up_bias?, down_bias?", "y",
                        kMlpParams, mlpScratch),
    LLMC_KERNEL("rope", "x, cos, sin, positions", "y", kRopeParams),
    KernelDecl{"cached_attention", "q, k, v, cache, position, blocks?",
               "y, cache", kAttentionParams, std::size(kAttentionParams),
               nullptr, nullptr, attentionWorkerScratch},
    LLMC_KERNEL("fused_elementwise", "inputs*", "y", kFusedParams),
    // Elementwise.
    LLMC_PLAIN_KERNEL("add", "a, b", "y"),
    LLMC_PLAIN_KERNEL("sub", "a, b", "y"),
    LLMC_PLAIN_KERNEL("mul", "a, b", "y"),
    LLMC_PLAIN_KERNEL("div", "a, b", "y"),
    LLMC_PLAIN_KERNEL("pow", "a, b", "y"),
    LLMC_PLAIN_KERNEL("max", "a, b", "y"),
    LLMC_PLAIN_KERNEL("min", "a, b", "y"),
    LLMC_PLAIN_KERNEL("and", "a, b", "y"),
    LLMC_PLAIN_KERNEL("or", "a, b", "y"),
    LLMC_PLAIN_KERNEL("neg", "x", "y"),
    LLMC_PLAIN_KERNEL("abs", "x", "y"),
    LLMC_PLAIN_KERNEL("exp", "x", "y"),
    LLMC_PLAIN_KERNEL("log", "x", "y"),
    LLMC_PLAIN_KERNEL("sqrt", "x", "y"),
    LLMC_PLAIN_KERNEL("rsqrt", "x", "y"),
    LLMC_PLAIN_KERNEL("reciprocal", "x", "y"),
    LLMC_PLAIN_KERNEL("tanh", "x", "y"),
    LLMC_PLAIN_KERNEL("erf", "x", "y"),
    LLMC_PLAIN_KERNEL("sigmoid", "x", "y"),
    LLMC_PLAIN_KERNEL("cos", "x", "y"),
    LLMC_PLAIN_KERNEL("sin", "x", "y"),
    LLMC_PLAIN_KERNEL("silu", "x", "y"),
    LLMC_KERNEL("gelu", "x", "y", kGeluParams),
    LLMC_PLAIN_KERNEL("not", "x", "y"),
    LLMC_PLAIN_KERNEL("is_nan", "x", "y"),
    LLMC_KERNEL("compare", "a, b", "y", kCompareParams),
    LLMC_PLAIN_KERNEL("select", "condition, a, b", "y"),
    LLMC_PLAIN_KERNEL("cast", "x", "y"),
    // Contractions and reductions.
    LLMC_PLAIN_KERNEL("matmul", "a, b", "y"),
    LLMC_KERNEL("reduce_sum", "x", "y", kReduceParams),
    LLMC_KERNEL("reduce_mean", "x", "y", kReduceParams),
    LLMC_KERNEL("reduce_max", "x", "y", kReduceParams),
    LLMC_KERNEL("softmax", "x", "y", kAxisParams),
    LLMC_KERNEL("cumsum", "x", "y", kCumsumParams),
    // Data movement and shapes.
    LLMC_KERNEL("concat", "inputs+", "y", kAxisParams),
    LLMC_PLAIN_KERNEL("expand", "x", "y"),
    LLMC_KERNEL("gather", "data, indices", "y", kAxisParams),
    LLMC_KERNEL("gather_nd", "data, indices", "y", kGatherNdParams),
    LLMC_PLAIN_KERNEL("scatter_nd", "data, indices, updates", "y"),
    LLMC_PLAIN_KERNEL("iota", "", "y"),
    LLMC_PLAIN_KERNEL("range", "start, limit, delta", "y"),
    LLMC_PLAIN_KERNEL("shape_of", "x", "y"),
    LLMC_KERNEL("slice", "x", "y", kSliceParams),
    LLMC_KERNEL("split", "x", "pieces+", kSplitParams),
    LLMC_KERNEL("transpose", "x", "y", kTransposeParams),
    LLMC_KERNEL("trilu", "x", "y", kTriluParams),
    // Communication between ranks (runtime/parallel/Communicator.h).
    LLMC_KERNEL("all_reduce", "x", "y", kAllReduceParams),
    LLMC_KERNEL("all_gather", "x", "y", kAllGatherParams),
    LLMC_KERNEL("send", "x", "", kStageParams),
    LLMC_KERNEL("recv", "", "y", kStageParams),
};

/// The entries of a comma-separated list in the notation of
/// KernelDecl::operands ("x, weight, bias?"), trimmed.
std::vector<std::string_view> listItems(std::string_view list) {
  std::vector<std::string_view> items;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    items.push_back(item);
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
  return items;
}

/// The fewest and most entries the list allows (max -1: no limit).
void countRange(std::string_view list, int64_t &min, int64_t &max) {
  min = 0;
  max = 0;
  for (std::string_view item : listItems(list)) {
    char last = item.empty() ? ' ' : item.back();
    if (last == '*' || last == '+') {
      min += last == '+' ? 1 : 0;
      max = -1;
    } else {
      min += last == '?' ? 0 : 1;
      if (max >= 0)
        ++max;
    }
  }
}

const char *typeName(ParamType type) {
  switch (type) {
  case ParamType::flag:
    return "a flag";
  case ParamType::integer:
    return "an integer";
  case ParamType::enumeration:
    return "an enumeration case";
  case ParamType::real:
    return "a float";
  case ParamType::integers:
    return "an integer list";
  }
  return "?";
}

const char *formName(ParamValue::Form form) {
  switch (form) {
  case ParamValue::Form::unit:
    return "a flag";
  case ParamValue::Form::integer:
    return "an integer";
  case ParamValue::Form::real:
    return "a float";
  case ParamValue::Form::integers:
  case ParamValue::Form::storedInts:
    return "an integer list";
  case ParamValue::Form::storedReals:
    return "a float list";
  }
  return "?";
}

/// Whether a value of `form` with `count` elements is a `type`.
bool formFits(ParamType type, const ParamValue &value) {
  using F = ParamValue::Form;
  bool oneStored = value.form == F::storedInts && value.count == 1;
  switch (type) {
  case ParamType::flag:
    return value.form == F::unit || (oneStored && value.first == 1);
  case ParamType::integer:
  case ParamType::enumeration:
    return value.form == F::integer || oneStored;
  case ParamType::real:
    return value.form == F::real ||
           (value.form == F::storedReals && value.count == 1);
  case ParamType::integers:
    return value.form == F::integers || value.form == F::storedInts;
  }
  return false;
}

std::string countText(int64_t min, int64_t max) {
  if (max < 0)
    return "at least " + std::to_string(min);
  if (min == max)
    return std::to_string(min);
  return std::to_string(min) + " to " + std::to_string(max);
}

} // namespace

bool CallShapes::has(std::string_view param) const {
  return std::find(params.begin(), params.end(), param) != params.end();
}

int64_t CallShapes::elements(size_t index) const {
  if (index >= operands.size() || operands[index].empty())
    return 0;
  int64_t count = 1;
  for (int64_t extent : operands[index])
    count *= extent;
  return count;
}

int64_t ParamDecl::caseCount() const {
  if (type != ParamType::enumeration)
    return 0;
  return 1 +
         std::count(cases, cases + std::char_traits<char>::length(cases), '|');
}

std::string ParamDecl::caseName(int64_t value) const {
  std::string_view rest = cases;
  for (int64_t i = 0; i < caseCount(); ++i) {
    size_t bar = rest.find('|');
    if (i == value)
      return std::string(rest.substr(0, bar));
    rest.remove_prefix(bar + 1);
  }
  return "";
}

const ParamDecl *KernelDecl::param(std::string_view name) const {
  for (size_t i = 0; i < paramCount; ++i)
    if (name == params[i].name)
      return &params[i];
  return nullptr;
}

void KernelDecl::operandRange(int64_t &min, int64_t &max) const {
  countRange(operands, min, max);
}

void KernelDecl::resultRange(int64_t &min, int64_t &max) const {
  countRange(results, min, max);
}

bool KernelDecl::mayBeAbsent(int64_t position) const {
  std::vector<std::string_view> items = listItems(operands);
  return position >= 0 && position < static_cast<int64_t>(items.size()) &&
         !items[position].empty() && items[position].back() == '?';
}

const KernelDecl *findKernel(std::string_view name) {
  for (const KernelDecl &kernel : kKernels)
    if (name == kernel.name)
      return &kernel;
  return nullptr;
}

const std::vector<const KernelDecl *> &allKernels() {
  static const std::vector<const KernelDecl *> all = [] {
    std::vector<const KernelDecl *> out;
    for (const KernelDecl &kernel : kKernels)
      out.push_back(&kernel);
    return out;
  }();
  return all;
}

std::string checkCall(const KernelDecl &kernel, int64_t inputs, int64_t outputs,
                      const std::vector<ParamValue> &params) {
  std::string name = std::string("kernel '") + kernel.name + "'";
  int64_t min, max;
  kernel.operandRange(min, max);
  if (inputs < min || (max >= 0 && inputs > max))
    return name + " takes " + countText(min, max) + " operands (" +
           kernel.operands + "), not " + std::to_string(inputs);
  kernel.resultRange(min, max);
  if (outputs < min || (max >= 0 && outputs > max))
    return name + " gives " + countText(min, max) + " results (" +
           kernel.results + "), not " + std::to_string(outputs);
  if (kernel.countsFit)
    if (std::string why = kernel.countsFit(inputs, outputs); !why.empty())
      return name + " " + why;
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamValue &value = params[i];
    const ParamDecl *decl = kernel.param(value.name);
    if (!decl)
      return name + " has no parameter '" + value.name + "'";
    for (size_t j = 0; j < i; ++j)
      if (params[j].name == value.name)
        return name + " has parameter '" + value.name + "' twice";
    if (!formFits(decl->type, value))
      return name + " parameter '" + value.name + "' must be " +
             typeName(decl->type) + ", not " + formName(value.form) +
             (value.count != 1 ? " of " + std::to_string(value.count) : "");
    if (decl->type == ParamType::enumeration &&
        (value.first < 0 || value.first >= decl->caseCount()))
      return name + " parameter '" + value.name + "' is " +
             std::to_string(value.first) + ", not a case of " + decl->cases;
  }
  for (size_t i = 0; i < kernel.paramCount; ++i) {
    const ParamDecl &decl = kernel.params[i];
    if (decl.required &&
        std::none_of(params.begin(), params.end(),
                     [&](const ParamValue &v) { return v.name == decl.name; }))
      return name + " needs parameter '" + decl.name + "' (" +
             typeName(decl.type) + ": " + decl.doc + ")";
  }
  return "";
}

std::string describeContract() {
  std::string out = "| kernel | operands -> results | parameters |\n"
                    "|---|---|---|\n";
  for (const KernelDecl &kernel : kKernels) {
    out += std::string("| `") + kernel.name + "` | " + kernel.operands +
           " -> " + kernel.results + " | ";
    for (size_t i = 0; i < kernel.paramCount; ++i) {
      const ParamDecl &p = kernel.params[i];
      out += std::string(i ? "; " : "") + "`" + p.name + "`" +
             (p.required ? "" : "?") + " " + typeName(p.type);
      if (p.type == ParamType::enumeration)
        out += std::string(" (") + p.cases + ")";
      out += std::string(": ") + p.doc;
    }
    out += " |\n";
  }
  return out;
}

} // namespace llmc::format
