//===- TransformerKernels.cpp - the plan's transformer kernels on a GPU ---===//

#include "runtime/cuda/CudaKernels.h"

#include "kernels/cpu/QuantLinear.h"
#include "kernels/cuda/QuantActivations.h"
#include "kernels/cuda/QuantLinear.h"
#include "kernels/cuda/Transformer.h"
#include "runtime/cuda/CudaContext.h"
#include "runtime/exec/TransformerShapes.h"

#include <optional>

namespace llmc::runtime::cuda {

namespace kc = llmc::kernels::cuda;

namespace {

// The call's first input `name` (a float tensor) and its storage `type`.
#define LLMC_FLOAT_INPUT(name)                                                 \
  LLMC_INPUT(name, 0,                                                          \
             c.inputs.empty() || !c.inputs[0] ? DType::f32                     \
                                              : c.inputs[0]->dtype);           \
  auto name##Storage = storageOf(name.dtype);                                  \
  if (!name##Storage)                                                          \
    return name##Storage.status();                                             \
  const kc::Storage type = *name##Storage;

/// A linear weight [n, k]: of the call's float type, or quantized (u8
/// codes with a layout).
Expected<const Tensor *> weightInput(KernelContext &c, size_t index,
                                     DType dtype, const char *what) {
  const Tensor *w = c.optionalInput(index);
  if (!w || (w->dtype != dtype && !w->quant) || w->rank() != 2)
    return Status::error(std::string(what) + " must be a 2-D " +
                         dtypeName(dtype) + " or quantized weight");
  return w;
}

#define LLMC_WEIGHT(name, index, what)                                         \
  auto name##OrError = weightInput(c, index, c.inputs[0]->dtype, what);        \
  if (!name##OrError)                                                          \
    return name##OrError.status();                                             \
  const Tensor &name = **name##OrError;

/// An optional bias of n of the call's type, or null.
Expected<const void *> biasInput(KernelContext &c, size_t index, int64_t n) {
  const Tensor *bias = c.optionalInput(index);
  if (!bias)
    return static_cast<const void *>(nullptr);
  if (bias->dtype != c.inputs[0]->dtype || bias->elements() != n)
    return Status::error("the bias must be " + std::to_string(n) + " " +
                         dtypeName(c.inputs[0]->dtype));
  return static_cast<const void *>(bias->data);
}

using Epilogue = format::GemmEpilogue;

/// An input x [rows, k] of GEMMs of codes (kernels/cuda/QuantActivations.h):
/// its scales, put in device memory when it is made (fp8: one; int8: one
/// per row); its codes (cuBLASLt's GEMM) and its rounded values (every
/// other path, as the CPU computes) when first asked for. In scratch slot
/// 4: the scales, the codes, the values.
class QuantInput {
public:
  using Codes = Gemm::Codes;
  /// None when the call does not ask for it (or gives a static fp8 scale
  /// of 0, which the CPU takes as no rounding).
  static Expected<std::optional<QuantInput>>
  of(KernelContext &c, const format::RoundingParams &names, kc::Storage type,
     const void *x, int64_t count, int64_t k) {
    LLMC_PARAM(rounding, activationRounding(c.params, names));
    const bool int8 = rounding.int8, dynamic = rounding.fp8Dynamic;
    const float fixed = int8 || dynamic ? 0.0f : rounding.fp8Scale;
    if (!int8 && !dynamic && !(fixed > 0.0f))
      return std::optional<QuantInput>();
    constexpr uint64_t kAlign = 256;
    auto aligned = [](uint64_t bytes) {
      return (bytes + kAlign - 1) / kAlign * kAlign;
    };
    const int64_t rows = count / std::max<int64_t>(k, 1);
    uint64_t scaleBytes = aligned((int8 ? rows : 1) * sizeof(float));
    uint64_t codeBytes = aligned(count);
    uint64_t width = type == kc::Storage::f32 ? 4 : 2;
    Expected<void *> memory =
        c.cuda->scratch(4, scaleBytes + codeBytes + count * width);
    if (!memory)
      return memory.status();
    QuantInput input(c, int8 ? Codes::int8 : Codes::fp8, type, x, rows, k);
    auto *bytes = static_cast<uint8_t *>(*memory);
    input.scales_ = reinterpret_cast<float *>(bytes);
    input.codes_ = bytes + scaleBytes;
    input.rounded_ = bytes + scaleBytes + codeBytes;
    cudaError_t error =
        int8
            ? kc::int8RowScales(type, x, rows, k, input.scales_, c.cuda->stream)
            : kc::fp8ActivationScale(type, x, count, fixed, input.scales_,
                                     c.cuda->stream);
    LLMC_CHECK(launched(error, "the activations' scales"));
    return std::optional<QuantInput>(std::move(input));
  }

  Codes codes() const { return kind_; }
  const float *scales() const { return scales_; }
  Expected<const void *> codeData() {
    if (!haveCodes_)
      LLMC_CHECK(round(codes_, nullptr));
    haveCodes_ = true;
    return static_cast<const void *>(codes_);
  }
  Expected<const void *> rounded() {
    if (!haveRounded_)
      LLMC_CHECK(round(nullptr, rounded_));
    haveRounded_ = true;
    return static_cast<const void *>(rounded_);
  }

private:
  QuantInput(KernelContext &c, Codes codes, kc::Storage type, const void *x,
             int64_t rows, int64_t k)
      : c_(&c), kind_(codes), type_(type), x_(x), rows_(rows), k_(k) {}
  Status round(uint8_t *codes, void *rounded) {
    cudaError_t error =
        kind_ == Codes::int8
            ? kc::roundToInt8Rows(type_, x_, rows_, k_, scales_,
                                  reinterpret_cast<int8_t *>(codes), rounded,
                                  c_->cuda->stream)
            : kc::roundToE4m3(type_, x_, rows_ * k_, scales_, codes, rounded,
                              c_->cuda->stream);
    return launched(error, "rounding activations");
  }
  KernelContext *c_;
  Codes kind_;
  kc::Storage type_;
  const void *x_;
  int64_t rows_, k_;
  float *scales_ = nullptr;
  uint8_t *codes_ = nullptr;
  void *rounded_ = nullptr;
  bool haveCodes_ = false, haveRounded_ = false;
};

// `name`: the QuantInput of `count` elements ([count / k, k]) at `data`
// for the parameters `names`, or null.
#define LLMC_QUANT_INPUT(name, names, data, count, k)                          \
  auto name##OrError = QuantInput::of(c, names, type, data, count, k);         \
  if (!name##OrError)                                                          \
    return name##OrError.status();                                             \
  std::optional<QuantInput> name##Held = std::move(*name##OrError);            \
  QuantInput *name = name##Held ? &*name##Held : nullptr;

/// Whether cuBLASLt multiplies the codes of `in` and of weight `w` for an
/// input of m rows: the weight's codes are of the same kind (E4M3 or
/// int8) with one f32 scale per row, the device runs such GEMMs, and there
/// are more rows than the GEMV takes.
bool codesGemmTakes(KernelContext &c, const QuantInput &in, const Tensor &w,
                    int64_t m) {
  const kernels::QuantWeight *q = w.quant;
  format::QuantCodes wanted = in.codes() == Gemm::Codes::fp8
                                  ? format::QuantCodes::fp8e4m3
                                  : format::QuantCodes::int8;
  return q && q->codes == wanted && q->group == q->k && !q->halfScales &&
         !q->zeros && m > kc::kMaxGemvRows &&
         Gemm::codesFit(in.codes(), c.cuda->arch, q->n, q->k);
}

/// y = x w^T (+ bias) as a GEMM of codes (codesGemmTakes), then the
/// scales.
Status codesMatmul(KernelContext &c, kc::Storage type, QuantInput &in,
                   const Tensor &w, const void *bias, void *y, int64_t m) {
  const int64_t n = w.shape[0], k = w.shape[1];
  Expected<const void *> codes = in.codeData();
  if (!codes)
    return codes.status();
  // f32 (fp8) or int32 (int8): 4 bytes either way.
  Expected<void *> product = c.cuda->scratch(5, m * n * 4);
  if (!product)
    return product.status();
  const auto *rowScales = static_cast<const float *>(w.quant->scales);
  Gemm &gemm = *c.cuda->gemm;
  if (in.codes() == Gemm::Codes::fp8) {
    auto *p = static_cast<float *>(*product);
    LLMC_CHECK(gemm.fp8Product(static_cast<const uint8_t *>(*codes),
                               in.scales(), w.quant->data, p, m, n, k,
                               c.cuda->stream));
    return launched(
        kc::scaleFp8Product(type, p, rowScales, bias, y, m, n, c.cuda->stream),
        "the fp8 GEMM's scales");
  }
  auto *p = static_cast<int32_t *>(*product);
  LLMC_CHECK(gemm.int8Product(static_cast<const int8_t *>(*codes),
                              reinterpret_cast<const int8_t *>(w.quant->data),
                              p, m, n, k, c.cuda->stream));
  return launched(kc::scaleInt8Product(type, p, in.scales(), rowScales, bias, y,
                                       m, n, c.cuda->stream),
                  "the int8 GEMM's scales");
}

/// The cuBLASLt epilogue plan-cuda-gemms chose for GEMM `index` of the
/// call.
Expected<Epilogue> plannedEpilogue(KernelContext &c, size_t index) {
  LLMC_PARAM(planned, c.params.has(format::kGemmEpilogues));
  if (!planned)
    return Status::error("the call has no cuBLASLt plan (plan-cuda-gemms "
                         "did not run)");
  LLMC_PARAM(epilogues, c.params.ints(format::kGemmEpilogues));
  const std::vector<int64_t> &codes = *epilogues;
  if (index >= codes.size())
    return Status::error("GEMM " + std::to_string(index) +
                         " of the call has no cuBLASLt plan (plan-cuda-gemms "
                         "did not run)");
  if (codes[index] < 0 ||
      codes[index] > static_cast<int64_t>(Epilogue::geluBias))
    return Status::error("unknown cuBLASLt epilogue " +
                         std::to_string(codes[index]));
  return static_cast<Epilogue>(codes[index]);
}

/// y[m, n] = x[m, k] w[n, k]^T (+ bias[n]) for GEMM `index` of the call: a
/// float weight through cuBLASLt with its planned epilogue; a quantized one
/// through the weight-only GEMV (decode) or dequantized into scratch and
/// multiplied by cuBLASLt (longer inputs). With quantized activations
/// (`in`, the QuantInput of x): cuBLASLt's GEMM of codes where
/// codesGemmTakes, else x rounded on any of those paths.
Status matmul(KernelContext &c, kc::Storage type, size_t index, const Tensor &w,
              const void *x, const void *bias, void *y, int64_t m,
              QuantInput *in) {
  int64_t n = w.shape[0], k = w.shape[1];
  Gemm &gemm = *c.cuda->gemm;
  if (in && codesGemmTakes(c, *in, w, m))
    return codesMatmul(c, type, *in, w, bias, y, m);
  if (in) {
    Expected<const void *> rounded = in->rounded();
    if (!rounded)
      return rounded.status();
    x = *rounded;
  }
  if (!w.quant) {
    Expected<Epilogue> epilogue = plannedEpilogue(c, index);
    if (!epilogue)
      return epilogue.status();
    return gemm.linear(type, *epilogue, x, w.data, bias, y, m, n, k,
                       c.cuda->stream);
  }
  const kernels::QuantWeight &q = *w.quant;
  kc::QuantMatrix matrix{q.codes, q.n,      q.k,          q.group,
                         q.data,  q.scales, q.halfScales, q.zeros};
  if (m <= kc::kMaxGemvRows)
    return launched(kc::quantGemv(type, matrix, x, bias, y, m, c.cuda->stream),
                    "a quantized GEMV");
  int64_t width = type == kc::Storage::f32 ? 4 : 2;
  Expected<void *> dense = c.cuda->scratch(1, n * k * width);
  if (!dense)
    return dense.status();
  LLMC_CHECK(launched(kc::dequantize(type, matrix, *dense, c.cuda->stream),
                      "dequantization"));
  return gemm.linear(type, bias ? Epilogue::bias : Epilogue::none, x, *dense,
                     bias, y, m, n, k, c.cuda->stream);
}

Status projection(KernelContext &c, bool withBias) {
  LLMC_FLOAT_INPUT(x);
  LLMC_WEIGHT(w, 1, "a linear weight");
  int64_t n = w.shape[0], k = w.shape[1];
  if (x.rank() < 1 || x.shape.back() != k)
    return Status::error("input " + shapeString(x.shape) +
                         " does not end in the weight's " + std::to_string(k) +
                         " input features");
  Expected<const void *> bias =
      withBias ? biasInput(c, 2, n) : static_cast<const void *>(nullptr);
  if (!bias)
    return bias.status();
  Shape shape = x.shape;
  shape.back() = n;
  LLMC_CHECK(c.setOutput(0, shape));
  LLMC_QUANT_INPUT(in, format::kInputRounding, x.data, x.elements(), k);
  return matmul(c, type, 0, w, x.data, *bias, c.outputs[0]->data,
                x.elements() / k, in);
}

Status norm(KernelContext &c, bool layer, bool add) {
  size_t first = add ? 1 : 0;
  LLMC_FLOAT_INPUT(x);
  LLMC_INPUT(w, first + 1, x.dtype);
  const Tensor *residual = nullptr;
  if (add) {
    LLMC_INPUT(r, 1, x.dtype);
    if (r.shape != x.shape)
      return Status::error("add and norm of " + shapeString(x.shape) + " and " +
                           shapeString(r.shape));
    residual = &r;
  }
  int64_t dim = w.elements();
  Expected<const void *> bias =
      layer ? biasInput(c, first + 2, dim) : static_cast<const void *>(nullptr);
  if (!bias)
    return bias.status();
  if (x.rank() < 1 || x.shape.back() != dim)
    return Status::error("a norm weight of " + std::to_string(dim) +
                         " for input " + shapeString(x.shape));
  LLMC_CHECK(c.setOutput(0, x.shape));
  if (add)
    LLMC_CHECK(c.setOutput(1, x.shape));
  LLMC_PARAM(epsilon, c.params.real("epsilon"));
  float eps = static_cast<float>(epsilon);
  void *sum = add ? c.outputs[0]->data : nullptr;
  void *y = c.outputs[add ? 1 : 0]->data;
  const void *r = residual ? residual->data : nullptr;
  int64_t rows = x.elements() / dim;
  cudaError_t error = layer ? kc::layerNorm(type, x.data, r, w.data, *bias, eps,
                                            sum, y, rows, dim, c.cuda->stream)
                            : kc::rmsNorm(type, x.data, r, w.data, eps, sum, y,
                                          rows, dim, c.cuda->stream);
  return launched(error, layer ? "layer_norm" : "rms_norm");
}

} // namespace

Status embedding(KernelContext &c) {
  LLMC_FLOAT_INPUT(table);
  LLMC_INPUT(ids, 1, DType::i64);
  if (table.rank() != 2)
    return Status::error("an embedding table must have rank 2, has shape " +
                         shapeString(table.shape));
  Shape shape = ids.shape;
  shape.push_back(table.shape[1]);
  LLMC_CHECK(c.setOutput(0, shape));
  return launched(kc::embedding(type, table.data, ids.as<int64_t>(),
                                ids.elements(), table.shape[0], table.shape[1],
                                c.outputs[0]->data, c.cuda->errors,
                                c.cuda->stream),
                  "embedding");
}

Status rmsNorm(KernelContext &c) { return norm(c, false, false); }
Status layerNorm(KernelContext &c) { return norm(c, true, false); }
Status addRmsNorm(KernelContext &c) { return norm(c, false, true); }
Status addLayerNorm(KernelContext &c) { return norm(c, true, true); }

Status linear(KernelContext &c) { return projection(c, true); }
Status lmHead(KernelContext &c) { return projection(c, false); }

Status linears(KernelContext &c) {
  LLMC_FLOAT_INPUT(x);
  const size_t count = c.outputs.size();
  Expected<bool> biasedOrError = linearsBiased(c, x);
  if (!biasedOrError)
    return biasedOrError.status();
  const bool biased = *biasedOrError;
  const int64_t k = x.shape.back();
  LLMC_QUANT_INPUT(in, format::kInputRounding, x.data, x.elements(), k);
  for (size_t i = 0; i < count; ++i) {
    LLMC_WEIGHT(w, 1 + i, "each linears weight");
    const int64_t n = w.shape[0];
    if (w.shape[1] != k)
      return Status::error(
          "weight " + std::to_string(i) + " " + shapeString(w.shape) +
          " does not take the input's " + std::to_string(k) + " features");
    Expected<const void *> bias = biased ? biasInput(c, 1 + count + i, n)
                                         : static_cast<const void *>(nullptr);
    if (!bias)
      return bias.status();
    Shape shape = x.shape;
    shape.back() = n;
    LLMC_CHECK(c.setOutput(i, shape));
    LLMC_CHECK(matmul(c, type, i, w, x.data, *bias, c.outputs[i]->data,
                      x.elements() / std::max<int64_t>(k, 1), in));
  }
  return Status::success();
}

Status gatedMlp(KernelContext &c) {
  LLMC_FLOAT_INPUT(x);
  LLMC_WEIGHT(gate, 1, "a gate weight");
  LLMC_WEIGHT(up, 2, "an up weight");
  LLMC_WEIGHT(down, 3, "a down weight");
  LLMC_CHECK(checkGatedMlp(x, gate, up, down));
  int64_t hidden = gate.shape[0], dim = gate.shape[1];
  LLMC_CHECK(c.setOutput(0, x.shape));
  int64_t rows = x.elements() / dim;
  int64_t width = dtypeBytes(x.dtype);
  Expected<void *> scratch = c.cuda->scratch(0, 2 * rows * hidden * width);
  if (!scratch)
    return scratch.status();
  uint8_t *g = static_cast<uint8_t *>(*scratch), *u = g + rows * hidden * width;
  LLMC_QUANT_INPUT(in, format::kInputRounding, x.data, x.elements(), dim);
  LLMC_CHECK(matmul(c, type, 0, gate, x.data, nullptr, g, rows, in));
  LLMC_CHECK(matmul(c, type, 1, up, x.data, nullptr, u, rows, in));
  LLMC_PARAM(activation, c.params.integer("activation"));
  LLMC_CHECK(
      launched(kc::activate(type, g, u, rows, hidden, hidden,
                            static_cast<int>(activation), c.cuda->stream),
               "gated_mlp's activation"));
  LLMC_QUANT_INPUT(hiddenIn, format::kHiddenRounding, g, rows * hidden, hidden);
  return matmul(c, type, 2, down, g, nullptr, c.outputs[0]->data, rows,
                hiddenIn);
}

Status mlp(KernelContext &c) {
  LLMC_FLOAT_INPUT(x);
  LLMC_WEIGHT(up, 1, "an up weight");
  LLMC_WEIGHT(down, 2, "a down weight");
  int64_t hidden = up.shape[0], dim = up.shape[1];
  Expected<const void *> upBias = biasInput(c, 3, hidden);
  if (!upBias)
    return upBias.status();
  Expected<const void *> downBias = biasInput(c, 4, dim);
  if (!downBias)
    return downBias.status();
  LLMC_CHECK(checkMlp(x, up, down, c.optionalInput(3), c.optionalInput(4)));
  LLMC_CHECK(c.setOutput(0, x.shape));
  int64_t rows = x.elements() / dim;
  Expected<void *> scratch =
      c.cuda->scratch(0, rows * hidden * dtypeBytes(x.dtype));
  if (!scratch)
    return scratch.status();
  void *h = *scratch;
  LLMC_PARAM(activation, c.params.integer("activation"));
  // cuBLASLt's GELU is the tanh approximation, planned for activation 2
  // on float weights only.
  bool geluEpilogue = false;
  if (!up.quant) {
    Expected<Epilogue> epilogue = plannedEpilogue(c, 0);
    if (!epilogue)
      return epilogue.status();
    geluEpilogue =
        *epilogue == Epilogue::gelu || *epilogue == Epilogue::geluBias;
    if (geluEpilogue && activation != 2)
      return Status::error("the up projection's GELU epilogue is the tanh "
                           "approximation, the mlp's activation is " +
                           std::to_string(activation));
  }
  LLMC_QUANT_INPUT(in, format::kInputRounding, x.data, x.elements(), dim);
  LLMC_CHECK(matmul(c, type, 0, up, x.data, *upBias, h, rows, in));
  if (!geluEpilogue)
    LLMC_CHECK(
        launched(kc::activate(type, h, nullptr, rows, hidden, hidden,
                              static_cast<int>(activation), c.cuda->stream),
                 "mlp's activation"));
  LLMC_QUANT_INPUT(hiddenIn, format::kHiddenRounding, h, rows * hidden, hidden);
  return matmul(c, type, 1, down, h, *downBias, c.outputs[0]->data, rows,
                hiddenIn);
}

Status rope(KernelContext &c) {
  LLMC_FLOAT_INPUT(x);
  LLMC_INPUT(cos, 1, x.dtype);
  LLMC_INPUT(sin, 2, x.dtype);
  LLMC_INPUT(positions, 3, DType::i64);
  Expected<RopeShape> shape = ropeShape(x, cos, sin, positions);
  if (!shape)
    return shape.status();
  LLMC_CHECK(c.setOutput(0, x.shape));
  uint8_t *out = c.outputs[0]->data;
  if (out != x.data)
    LLMC_CHECK(
        cudaStatus(cudaMemcpyAsync(out, x.data, x.bytes(),
                                   cudaMemcpyDeviceToDevice, c.cuda->stream),
                   "copying rope's input"));
  LLMC_PARAM(mode, c.params.integer("mode"));
  return launched(kc::rope(type, out, cos.data, sin.data,
                           positions.as<int64_t>(), shape->perBatch,
                           shape->batch, shape->tokens, shape->heads,
                           shape->headDim, shape->rotary, shape->tablePositions,
                           mode == 0, c.cuda->errors, c.cuda->stream),
                  "rope");
}

Status cachedAttention(KernelContext &c) {
  LLMC_FLOAT_INPUT(q);
  LLMC_INPUT(k, 1, q.dtype);
  LLMC_INPUT(v, 2, q.dtype);
  LLMC_INPUT(cache, 3, q.dtype);
  LLMC_INPUT(position, 4, DType::i64);
  // A paged cache's block tables (in device memory: their entries are
  // checked there, kBlockOutOfRange).
  const Tensor *paged = c.optionalInput(5);
  Expected<AttentionShape> checked =
      attentionShape(c, q, k, v, cache, position, paged);
  if (!checked)
    return checked.status();
  const AttentionShape &shape = *checked;
  if (shape.headDim > 256)
    return Status::error("head_dim " + std::to_string(shape.headDim) +
                         " is above the CUDA attention kernel's 256");
  LLMC_CHECK(c.setOutput(0, q.shape));
  LLMC_CHECK(c.setOutput(1, cache.shape));
  float *partial = nullptr;
  if (int64_t floats = kc::attentionScratchFloats(shape); floats > 0) {
    Expected<void *> scratch = c.cuda->scratch(2, floats * sizeof(float));
    if (!scratch)
      return scratch.status();
    partial = static_cast<float *>(*scratch);
  }
  return launched(
      kc::cachedAttention(type, q.data, k.data, v.data, c.outputs[1]->data,
                          paged ? paged->as<int32_t>() : nullptr,
                          position.as<int64_t>(), c.outputs[0]->data, shape,
                          partial, c.cuda->errors, c.cuda->stream),
      "cached_attention");
}

} // namespace llmc::runtime::cuda
