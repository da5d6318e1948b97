//===- TransformerKernels.cpp - the plan's transformer kernels on a GPU ---===//

#include "runtime/cuda/CudaKernels.h"

#include "kernels/cpu/QuantLinear.h"
#include "kernels/cuda/Fp8Activations.h"
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

/// The parameters by which llmc-quantize-fp8 asks for an input of fp8
/// GEMMs: a static scale, or a scale per call.
struct Fp8Names {
  const char *scale, *dynamic;
};
constexpr Fp8Names kInputFp8{"llmc.fp8_act_scale", "llmc.fp8_act_dynamic"};
constexpr Fp8Names kHiddenFp8{"llmc.fp8_hidden_act_scale",
                              "llmc.fp8_hidden_act_dynamic"};

/// An input of fp8 GEMMs (kernels/cuda/Fp8Activations.h): its scale, put
/// in device memory when it is made; its E4M3 codes (cuBLASLt's fp8 GEMM)
/// and its rounded values (every other path, as the CPU computes) when
/// first asked for. In scratch slot 4: the scale, the codes, the values.
class Fp8Input {
public:
  /// None when the call does not ask for it (or gives a static scale of
  /// 0, which the CPU takes as no rounding).
  static Expected<std::optional<Fp8Input>> of(KernelContext &c,
                                              const Fp8Names &names,
                                              kc::Storage type, const void *x,
                                              int64_t count) {
    bool dynamic = c.params.has(names.dynamic);
    float fixed =
        dynamic ? 0.0f : static_cast<float>(c.params.real(names.scale, 0.0));
    if (!dynamic && !(fixed > 0.0f))
      return std::optional<Fp8Input>();
    constexpr uint64_t kAlign = 256;
    uint64_t codeBytes = (count + kAlign - 1) / kAlign * kAlign;
    uint64_t width = type == kc::Storage::f32 ? 4 : 2;
    Expected<void *> memory =
        c.cuda->scratch(4, kAlign + codeBytes + count * width);
    if (!memory)
      return memory.status();
    Fp8Input input(c, type, x, count);
    auto *bytes = static_cast<uint8_t *>(*memory);
    input.scale_ = reinterpret_cast<float *>(bytes);
    input.codes_ = bytes + kAlign;
    input.rounded_ = bytes + kAlign + codeBytes;
    if (Status status =
            launched(kc::fp8ActivationScale(type, x, count, fixed, input.scale_,
                                            c.cuda->stream),
                     "the fp8 activations' scale");
        !status)
      return status;
    return std::optional<Fp8Input>(std::move(input));
  }

  const float *scale() const { return scale_; }
  Expected<const uint8_t *> codes() {
    if (!haveCodes_)
      LLMC_CHECK(round(codes_, nullptr));
    haveCodes_ = true;
    return static_cast<const uint8_t *>(codes_);
  }
  Expected<const void *> rounded() {
    if (!haveRounded_)
      LLMC_CHECK(round(nullptr, rounded_));
    haveRounded_ = true;
    return static_cast<const void *>(rounded_);
  }

private:
  Fp8Input(KernelContext &c, kc::Storage type, const void *x, int64_t count)
      : c_(&c), type_(type), x_(x), count_(count) {}
  Status round(uint8_t *codes, void *rounded) {
    return launched(kc::roundToE4m3(type_, x_, count_, scale_, codes, rounded,
                                    c_->cuda->stream),
                    "rounding activations to fp8");
  }
  KernelContext *c_;
  kc::Storage type_;
  const void *x_;
  int64_t count_;
  float *scale_ = nullptr;
  uint8_t *codes_ = nullptr;
  void *rounded_ = nullptr;
  bool haveCodes_ = false, haveRounded_ = false;
};

// `name`: the Fp8Input of `count` elements at `data` for the parameters
// `names`, or null.
#define LLMC_FP8_INPUT(name, names, data, count)                               \
  auto name##OrError = Fp8Input::of(c, names, type, data, count);              \
  if (!name##OrError)                                                          \
    return name##OrError.status();                                             \
  std::optional<Fp8Input> name##Held = std::move(*name##OrError);              \
  Fp8Input *name = name##Held ? &*name##Held : nullptr;

/// Whether cuBLASLt's fp8 GEMM computes y = x w^T for an input of m rows:
/// an E4M3 weight with one f32 scale per row on sm_89 or newer, for more
/// rows than the GEMV takes.
bool fp8GemmTakes(KernelContext &c, const Tensor &w, int64_t m) {
  const kernels::QuantWeight *q = w.quant;
  return q && q->codes == format::QuantCodes::fp8e4m3 && q->group == q->k &&
         !q->halfScales && !q->zeros && m > kc::kMaxGemvRows &&
         Gemm::fp8Fits(c.cuda->arch, q->n, q->k);
}

/// The cuBLASLt epilogue plan-cuda-gemms chose for GEMM `index` of the
/// call.
Expected<Epilogue> plannedEpilogue(KernelContext &c, size_t index) {
  const std::vector<int64_t> &codes = c.params.ints(format::kGemmEpilogues);
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
/// multiplied by cuBLASLt (longer inputs). With fp8 activations (`fp8`,
/// the Fp8Input of x): cuBLASLt's fp8 GEMM where fp8GemmTakes, else x
/// rounded to E4M3 on any of those paths.
Status matmul(KernelContext &c, kc::Storage type, size_t index, const Tensor &w,
              const void *x, const void *bias, void *y, int64_t m,
              Fp8Input *fp8) {
  int64_t n = w.shape[0], k = w.shape[1];
  Gemm &gemm = *c.cuda->gemm;
  if (fp8 && fp8GemmTakes(c, w, m)) {
    Expected<const uint8_t *> codes = fp8->codes();
    if (!codes)
      return codes.status();
    Expected<void *> product = c.cuda->scratch(5, m * n * sizeof(float));
    if (!product)
      return product.status();
    auto *p = static_cast<float *>(*product);
    LLMC_CHECK(gemm.fp8Product(*codes, fp8->scale(), w.quant->data, p, m, n, k,
                               c.cuda->stream));
    return launched(kc::scaleFp8Product(
                        type, p, static_cast<const float *>(w.quant->scales),
                        bias, y, m, n, c.cuda->stream),
                    "the fp8 GEMM's weight scales");
  }
  if (fp8) {
    Expected<const void *> rounded = fp8->rounded();
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
  LLMC_FP8_INPUT(fp8, kInputFp8, x.data, x.elements());
  return matmul(c, type, 0, w, x.data, *bias, c.outputs[0]->data,
                x.elements() / k, fp8);
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
  float eps = static_cast<float>(c.params.real("epsilon", 1e-5));
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
  LLMC_FP8_INPUT(fp8, kInputFp8, x.data, x.elements());
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
                      x.elements() / std::max<int64_t>(k, 1), fp8));
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
  LLMC_FP8_INPUT(fp8, kInputFp8, x.data, x.elements());
  LLMC_CHECK(matmul(c, type, 0, gate, x.data, nullptr, g, rows, fp8));
  LLMC_CHECK(matmul(c, type, 1, up, x.data, nullptr, u, rows, fp8));
  LLMC_CHECK(
      launched(kc::activate(type, g, u, rows, hidden, hidden,
                            static_cast<int>(c.params.integer("activation", 0)),
                            c.cuda->stream),
               "gated_mlp's activation"));
  LLMC_FP8_INPUT(hiddenFp8, kHiddenFp8, g, rows * hidden);
  return matmul(c, type, 2, down, g, nullptr, c.outputs[0]->data, rows,
                hiddenFp8);
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
  int64_t activation = c.params.integer("activation", 1);
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
  LLMC_FP8_INPUT(fp8, kInputFp8, x.data, x.elements());
  LLMC_CHECK(matmul(c, type, 0, up, x.data, *upBias, h, rows, fp8));
  if (!geluEpilogue)
    LLMC_CHECK(
        launched(kc::activate(type, h, nullptr, rows, hidden, hidden,
                              static_cast<int>(activation), c.cuda->stream),
                 "mlp's activation"));
  LLMC_FP8_INPUT(hiddenFp8, kHiddenFp8, h, rows * hidden);
  return matmul(c, type, 1, down, h, *downBias, c.outputs[0]->data, rows,
                hiddenFp8);
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
  return launched(kc::rope(type, out, cos.data, sin.data,
                           positions.as<int64_t>(), shape->perBatch,
                           shape->batch, shape->tokens, shape->heads,
                           shape->headDim, shape->rotary, shape->tablePositions,
                           c.params.integer("mode", 0) == 0, c.cuda->errors,
                           c.cuda->stream),
                  "rope");
}

Status cachedAttention(KernelContext &c) {
  LLMC_FLOAT_INPUT(q);
  LLMC_INPUT(k, 1, q.dtype);
  LLMC_INPUT(v, 2, q.dtype);
  LLMC_INPUT(cache, 3, q.dtype);
  LLMC_INPUT(position, 4, DType::i64);
  if (position.elements() != 1)
    return Status::error("attention takes one position, not " +
                         shapeString(position.shape));
  Expected<AttentionShape> checked = attentionShape(c, q, k, v, cache);
  if (!checked)
    return checked.status();
  const kc::AttentionShape shape{
      checked->batch,    checked->tokens,  checked->qHeads,
      checked->kvHeads,  checked->headDim, checked->layers,
      checked->capacity, checked->layer,   checked->scale};
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
                          position.as<int64_t>(), c.outputs[0]->data, shape,
                          partial, c.cuda->errors, c.cuda->stream),
      "cached_attention");
}

} // namespace llmc::runtime::cuda
