//===- TransformerKernels.cpp - the plan's transformer kernels on the CPU -===//

#include "runtime/cpu/CpuKernels.h"

#include "kernels/common/KvQuant.h"
#include "kernels/cpu/Attention.h"
#include "kernels/cpu/KvLoad.h"
#include "kernels/cpu/KvRows.h"
#include "kernels/cpu/Linear.h"
#include "kernels/cpu/QuantGemvInt8.h"
#include "kernels/cpu/QuantLinear.h"
#include "kernels/cpu/Transformer.h"
#include "runtime/exec/TransformerShapes.h"
#include "runtime/format/Float16.h"
#include "runtime/format/QuantLayout.h"
#include "runtime/kvcache/KvStorage.h"
#include "runtime/support/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace llmc::runtime::cpu {

namespace {

Status expectRank(const Tensor &t, int64_t rank, const char *what) {
  if (t.rank() != rank)
    return Status::error(std::string(what) + " must have rank " +
                         std::to_string(rank) + ", has shape " +
                         shapeString(t.shape));
  return Status::success();
}

/// A linear weight [n, k]: f32, or quantized (u8 codes with a layout).
Expected<const Tensor *> weightInput(KernelContext &c, size_t index,
                                     const char *what) {
  const Tensor *w = c.optionalInput(index);
  if (!w || (w->dtype != DType::f32 && !w->quant) || w->rank() != 2)
    return Status::error(std::string(what) +
                         " must be a 2-D f32 or quantized weight");
  return w;
}

#define LLMC_WEIGHT(name, index, what)                                         \
  auto name##OrError = weightInput(c, index, what);                            \
  if (!name##OrError)                                                          \
    return name##OrError.status();                                             \
  const Tensor &name = **name##OrError;

/// The input of a linear: its values, whether they are rounded as a GEMM
/// of codes takes them (then the kernels multiply them as given), and,
/// for weights packed for the CPU's integer path (QuantWeight::packed),
/// the values in int8 blocks, rounded once for every thread's slice.
struct LinearInput {
  const float *x;
  bool rounded = false;
  /// Set (codes not null) when x is also in int8 blocks.
  kernels::Int8Blocks blocks{};
  /// Each thread's block of the call's per-worker scratch (checked to hold
  /// format::quantLinearWorkBytes for every quantized weight), or null.
  uint8_t *workerScratch = nullptr;
  uint64_t workerStride = 0;

  /// The running thread's workspace for a quantized linear.
  kernels::Workspace work() const {
    return kernels::Workspace(workerScratch + ThreadPool::slot() * workerStride,
                              static_cast<int64_t>(workerStride));
  }
};

/// `x` ([count / k, k]) rounded as `r` asks: to fp8 E4M3 (a static scale,
/// or `dynamic`: this call's largest magnitude / 448) or to int8 per row;
/// else `x` itself, and in int8 blocks too when one of `weights` is packed
/// for them. A rounded copy takes `count` floats of the call's scratch,
/// int8 blocks format::int8BlocksLayout's bytes (the contract's rules for
/// linear-like kernels plan them).
Expected<LinearInput>
linearInputValues(KernelContext &c, const ActivationRounding &r, const float *x,
                  int64_t count, int64_t k,
                  const std::vector<const Tensor *> &weights) {
  auto rounded = [&]() -> Expected<float *> {
    Expected<void *> room = c.takeScratch(count * sizeof(float));
    if (!room)
      return room.status();
    return static_cast<float *>(*room);
  };
  if (r.int8) {
    LLMC_PARAM(buffer, rounded());
    kernels::roundToInt8Rows(x, count / k, k, buffer);
    return LinearInput{buffer, true};
  }
  float scale = r.fp8Scale;
  if (r.fp8Dynamic) {
    float largest = 0.0f;
    for (int64_t i = 0; i < count; ++i)
      largest = std::max(largest, std::fabs(x[i]));
    scale = largest > 0.0f ? largest / 448.0f : 1.0f;
  }
  if (scale > 0.0f) {
    LLMC_PARAM(buffer, rounded());
    kernels::roundToE4m3(x, count, scale, buffer);
    return LinearInput{buffer, true};
  }
  for (const Tensor *w : weights)
    if (w->quant && w->quant->packed) {
      Expected<void *> room =
          c.takeScratch(format::int8BlocksLayout(count / k, k).totalBytes);
      if (!room)
        return room.status();
      kernels::Int8Blocks blocks =
          kernels::Int8Blocks::in(static_cast<uint8_t *>(*room), count / k, k);
      kernels::roundToInt8BlocksAvx2(x, blocks);
      return LinearInput{x, false, blocks};
    }
  return LinearInput{x};
}

/// linearInputValues, and for quantized weights each thread's workspace
/// (format::quantLinearWorkBytes: prefill's dequantized rows, decode's
/// intermediates).
Expected<LinearInput> linearInput(KernelContext &c, const ActivationRounding &r,
                                  const float *x, int64_t count, int64_t k,
                                  const std::vector<const Tensor *> &weights) {
  Expected<LinearInput> in = linearInputValues(c, r, x, count, k, weights);
  if (!in)
    return in;
  // The contract's per-worker rule plans it.
  for (const Tensor *w : weights)
    if (w->quant) {
      LLMC_CHECK(
          c.workerScratchFor(format::scratchPiece(format::quantLinearWorkBytes(
                                 count / k, w->quant->k, w->quant->group)))
              .status());
      in->workerScratch = c.workerScratch;
      in->workerStride = c.workerScratchBytes;
    }
  return in;
}

/// y[m, begin..end) = x[m, k] W[begin..end, k]^T (+ b): one thread's slice
/// of the output features; y's rows are n apart.
void linearSlice(LinearInput in, const Tensor &w, int64_t begin, int64_t end,
                 const float *bias, float *y, int64_t m) {
  int64_t n = w.shape[0], k = w.shape[1];
  if (w.quant && w.quant->packed && in.blocks.codes)
    kernels::quantGemmAvx2(in.blocks, *w.quant, begin, end, bias, y + begin, n,
                           in.work());
  else if (w.quant)
    kernels::quantLinear(in.x, *w.quant, begin, end, bias, y + begin, m, n,
                         in.rounded, in.work());
  else
    kernels::linear(in.x, w.as<float>() + begin * k,
                    bias ? bias + begin : nullptr, y + begin, m, end - begin, k,
                    n);
}

/// Multiply-adds a chunk of a loop must hold to be worth another thread:
/// about 10 us of decode (256 KiB of fp32 weights). A small model's
/// (fortunes3m's) layers then run on the caller alone, with no wake-ups
/// or waits that a busy machine would stretch.
constexpr int64_t kChunkWork = int64_t(1) << 16;

/// The grain of a split of output features that each cost `work`
/// multiply-adds: enough features for kChunkWork, in whole 16s (the
/// quantized kernels' tiles are 8 rows).
int64_t featureGrain(int64_t work) {
  const int64_t features = (kChunkWork + work - 1) / std::max<int64_t>(work, 1);
  return (std::max<int64_t>(features, 16) + 15) / 16 * 16;
}

/// y[m, n] = x[m, k] W[n, k]^T (+ b), split over the pool by output
/// features: each thread streams its own slice of the weights once, for
/// every row.
void parallelLinear(ThreadPool &pool, LinearInput in, const Tensor &w,
                    const float *bias, float *y, int64_t m) {
  pool.parallelFor(
      w.shape[0],
      [&](int64_t begin, int64_t end) {
        linearSlice(in, w, begin, end, bias, y, m);
      },
      featureGrain(m * w.shape[1]));
}

/// A linear layer's weight [n, k] applied to x [..., k]: checks and sets
/// the output [..., n].
Status projection(KernelContext &c, bool withBias) {
  LLMC_INPUT(x, 0, DType::f32);
  LLMC_WEIGHT(w, 1, "a linear weight");
  int64_t n = w.shape[0], k = w.shape[1];
  if (x.rank() < 1 || x.shape.back() != k)
    return Status::error("input " + shapeString(x.shape) +
                         " does not end in the weight's " + std::to_string(k) +
                         " input features");
  const Tensor *bias = withBias ? c.optionalInput(2) : nullptr;
  if (bias && (bias->dtype != DType::f32 || bias->elements() != n))
    return Status::error("the bias must be " + std::to_string(n) + " f32");
  Shape shape = x.shape;
  shape.back() = n;
  LLMC_CHECK(c.setOutput(0, shape));
  LLMC_PARAM(acts, activationRounding(c.params, format::kInputRounding));
  LLMC_PARAM(in, linearInput(c, acts, x.as<float>(), x.elements(), k, {&w}));
  parallelLinear(c.pool, in, w, bias ? bias->as<float>() : nullptr,
                 c.outputs[0]->as<float>(), x.elements() / k);
  return Status::success();
}

void activate(float *x, int64_t n, int64_t activation) {
  switch (activation) {
  case 0:
    kernels::silu(x, n);
    break;
  case 1:
    kernels::gelu(x, n, false);
    break;
  default:
    kernels::gelu(x, n, true);
    break;
  }
}

} // namespace

Status embedding(KernelContext &c) {
  LLMC_INPUT(table, 0, DType::f32);
  LLMC_CHECK(expectRank(table, 2, "an embedding table"));
  const Tensor *ids = c.inputs.size() > 1 ? c.inputs[1] : nullptr;
  if (!ids || (ids->dtype != DType::i64 && ids->dtype != DType::i32))
    return Status::error("embedding ids must be i64 or i32");
  int64_t vocab = table.shape[0], dim = table.shape[1];
  Shape shape = ids->shape;
  shape.push_back(dim);
  LLMC_CHECK(c.setOutput(0, shape));
  float *out = c.outputs[0]->as<float>();
  for (int64_t i = 0, n = ids->elements(); i < n; ++i) {
    int64_t id = ids->dtype == DType::i64 ? ids->as<int64_t>()[i]
                                          : ids->as<int32_t>()[i];
    if (id < 0 || id >= vocab)
      return Status::error("token id " + std::to_string(id) +
                           " is outside the vocabulary of " +
                           std::to_string(vocab));
    std::memcpy(out + i * dim, table.as<float>() + id * dim,
                dim * sizeof(float));
  }
  return Status::success();
}

Status rmsNorm(KernelContext &c) {
  LLMC_INPUT(x, 0, DType::f32);
  LLMC_INPUT(w, 1, DType::f32);
  int64_t dim = w.elements();
  if (x.rank() < 1 || x.shape.back() != dim)
    return Status::error("rms_norm weight of " + std::to_string(dim) +
                         " for input " + shapeString(x.shape));
  LLMC_PARAM(eps, c.params.real("epsilon"));
  LLMC_CHECK(c.setOutput(0, x.shape));
  kernels::rmsNorm(x.as<float>(), w.as<float>(), static_cast<float>(eps),
                   c.outputs[0]->as<float>(), x.elements() / dim, dim);
  return Status::success();
}

Status layerNorm(KernelContext &c) {
  LLMC_INPUT(x, 0, DType::f32);
  LLMC_INPUT(w, 1, DType::f32);
  const Tensor *b = c.optionalInput(2);
  int64_t dim = w.elements();
  if (x.rank() < 1 || x.shape.back() != dim ||
      (b && (b->dtype != DType::f32 || b->elements() != dim)))
    return Status::error("layer_norm weight/bias of " + std::to_string(dim) +
                         " for input " + shapeString(x.shape));
  LLMC_PARAM(eps, c.params.real("epsilon"));
  LLMC_CHECK(c.setOutput(0, x.shape));
  kernels::layerNorm(x.as<float>(), w.as<float>(), b ? b->as<float>() : nullptr,
                     static_cast<float>(eps), c.outputs[0]->as<float>(),
                     x.elements() / dim, dim);
  return Status::success();
}

Status addNorm(KernelContext &c, bool layer) {
  LLMC_INPUT(a, 0, DType::f32);
  LLMC_INPUT(b, 1, DType::f32);
  LLMC_INPUT(w, 2, DType::f32);
  const Tensor *bias = layer ? c.optionalInput(3) : nullptr;
  int64_t dim = w.elements();
  if (a.shape != b.shape || a.rank() < 1 || a.shape.back() != dim ||
      (bias && (bias->dtype != DType::f32 || bias->elements() != dim)))
    return Status::error("add and norm of " + shapeString(a.shape) + " and " +
                         shapeString(b.shape) + " with a weight of " +
                         std::to_string(dim));
  LLMC_CHECK(c.setOutput(0, a.shape));
  LLMC_CHECK(c.setOutput(1, a.shape));
  LLMC_PARAM(epsilon, c.params.real("epsilon"));
  float eps = static_cast<float>(epsilon);
  float *sum = c.outputs[0]->as<float>(), *y = c.outputs[1]->as<float>();
  const float *x = a.as<float>(), *r = b.as<float>();
  for (int64_t row = 0, rows = a.elements() / dim; row < rows; ++row) {
    float *s = sum + row * dim;
    for (int64_t i = 0; i < dim; ++i)
      s[i] = x[row * dim + i] + r[row * dim + i];
    if (layer)
      kernels::layerNorm(s, w.as<float>(), bias ? bias->as<float>() : nullptr,
                         eps, y + row * dim, 1, dim);
    else
      kernels::rmsNorm(s, w.as<float>(), eps, y + row * dim, 1, dim);
  }
  return Status::success();
}

Status addRmsNorm(KernelContext &c) { return addNorm(c, false); }

Status addLayerNorm(KernelContext &c) { return addNorm(c, true); }

Status linear(KernelContext &c) { return projection(c, true); }

Status lmHead(KernelContext &c) { return projection(c, false); }

Status linears(KernelContext &c) {
  LLMC_INPUT(x, 0, DType::f32);
  const size_t count = c.outputs.size();
  Expected<bool> biasedOrError = linearsBiased(c, x);
  if (!biasedOrError)
    return biasedOrError.status();
  const bool biased = *biasedOrError;
  const int64_t k = x.shape.back(),
                rows = x.elements() / std::max<int64_t>(k, 1);
  std::vector<const Tensor *> weights(count);
  std::vector<const float *> biases(count, nullptr);
  std::vector<float *> outputs(count);
  std::vector<int64_t> first(count + 1, 0); // of each weight's features
  for (size_t i = 0; i < count; ++i) {
    auto w = weightInput(c, 1 + i, "each linears weight");
    if (!w)
      return w.status();
    weights[i] = *w;
    const int64_t n = weights[i]->shape[0];
    if (weights[i]->shape[1] != k)
      return Status::error(
          "weight " + std::to_string(i) + " " + shapeString(weights[i]->shape) +
          " does not take the input's " + std::to_string(k) + " features");
    if (biased) {
      const Tensor *bias = c.inputs[1 + count + i];
      if (!bias || bias->dtype != DType::f32 || bias->elements() != n)
        return Status::error("bias " + std::to_string(i) + " must be " +
                             std::to_string(n) + " f32");
      biases[i] = bias->as<float>();
    }
    Shape shape = x.shape;
    shape.back() = n;
    LLMC_CHECK(c.setOutput(i, shape));
    outputs[i] = c.outputs[i]->as<float>();
    first[i + 1] = first[i] + n;
  }
  LLMC_PARAM(acts, activationRounding(c.params, format::kInputRounding));
  LLMC_PARAM(in, linearInput(c, acts, x.as<float>(), x.elements(), k, weights));
  // The features of all weights, one after another, split over the pool.
  c.pool.parallelFor(
      first[count],
      [&](int64_t begin, int64_t end) {
        for (size_t i = 0; i < count; ++i) {
          const int64_t from = std::max(begin, first[i]),
                        to = std::min(end, first[i + 1]);
          if (from < to)
            linearSlice(in, *weights[i], from - first[i], to - first[i],
                        biases[i], outputs[i], rows);
        }
      },
      featureGrain(rows * k));
  return Status::success();
}

Status gatedMlp(KernelContext &c) {
  LLMC_INPUT(x, 0, DType::f32);
  LLMC_WEIGHT(gate, 1, "a gate weight");
  LLMC_WEIGHT(up, 2, "an up weight");
  LLMC_WEIGHT(down, 3, "a down weight");
  LLMC_CHECK(checkGatedMlp(x, gate, up, down));
  int64_t hidden = gate.shape[0], dim = gate.shape[1];
  LLMC_CHECK(c.setOutput(0, x.shape));
  int64_t rows = x.elements() / dim;
  LLMC_PARAM(gateRoom, c.takeScratch(rows * hidden * sizeof(float)));
  LLMC_PARAM(upRoom, c.takeScratch(rows * hidden * sizeof(float)));
  float *g = static_cast<float *>(gateRoom), *u = static_cast<float *>(upRoom);
  LLMC_PARAM(acts, activationRounding(c.params, format::kInputRounding));
  LLMC_PARAM(hiddenActs, activationRounding(c.params, format::kHiddenRounding));
  LLMC_PARAM(activation, c.params.integer("activation"));
  LLMC_PARAM(
      in, linearInput(c, acts, x.as<float>(), x.elements(), dim, {&gate, &up}));
  // Gate, up and their product in one pass over the pool: a thread's
  // features of both, then act(gate) * up on them.
  c.pool.parallelFor(
      hidden,
      [&](int64_t begin, int64_t end) {
        linearSlice(in, gate, begin, end, nullptr, g, rows);
        linearSlice(in, up, begin, end, nullptr, u, rows);
        for (int64_t r = 0; r < rows; ++r) {
          float *gr = g + r * hidden, *ur = u + r * hidden;
          activate(gr + begin, end - begin, activation);
          for (int64_t i = begin; i < end; ++i)
            gr[i] *= ur[i];
        }
      },
      featureGrain(2 * rows * dim));
  LLMC_PARAM(hiddenIn,
             linearInput(c, hiddenActs, g, rows * hidden, hidden, {&down}));
  parallelLinear(c.pool, hiddenIn, down, nullptr, c.outputs[0]->as<float>(),
                 rows);
  return Status::success();
}

Status mlp(KernelContext &c) {
  LLMC_INPUT(x, 0, DType::f32);
  LLMC_WEIGHT(up, 1, "an up weight");
  LLMC_WEIGHT(down, 2, "a down weight");
  const Tensor *upBias = c.optionalInput(3);
  const Tensor *downBias = c.optionalInput(4);
  LLMC_CHECK(checkMlp(x, up, down, upBias, downBias));
  int64_t hidden = up.shape[0], dim = up.shape[1];
  LLMC_CHECK(c.setOutput(0, x.shape));
  int64_t rows = x.elements() / dim;
  LLMC_PARAM(hiddenRoom, c.takeScratch(rows * hidden * sizeof(float)));
  float *h = static_cast<float *>(hiddenRoom);
  LLMC_PARAM(acts, activationRounding(c.params, format::kInputRounding));
  LLMC_PARAM(hiddenActs, activationRounding(c.params, format::kHiddenRounding));
  LLMC_PARAM(activation, c.params.integer("activation"));
  LLMC_PARAM(in, linearInput(c, acts, x.as<float>(), x.elements(), dim, {&up}));
  parallelLinear(c.pool, in, up, upBias ? upBias->as<float>() : nullptr, h,
                 rows);
  c.pool.parallelFor(
      rows * hidden,
      [&](int64_t begin, int64_t end) {
        activate(h + begin, end - begin, activation);
      },
      4096);
  LLMC_PARAM(hiddenIn,
             linearInput(c, hiddenActs, h, rows * hidden, hidden, {&down}));
  parallelLinear(c.pool, hiddenIn, down,
                 downBias ? downBias->as<float>() : nullptr,
                 c.outputs[0]->as<float>(), rows);
  return Status::success();
}

Status rope(KernelContext &c) {
  LLMC_INPUT(x, 0, DType::f32);
  LLMC_INPUT(cos, 1, DType::f32);
  LLMC_INPUT(sin, 2, DType::f32);
  LLMC_INPUT(positions, 3, DType::i64);
  Expected<RopeShape> shape = ropeShape(x, cos, sin, positions);
  if (!shape)
    return shape.status();
  const int64_t batch = shape->batch, tokens = shape->tokens,
                heads = shape->heads, headDim = shape->headDim,
                rotary = shape->rotary;
  const bool perBatch = shape->perBatch;
  for (int64_t i = 0; i < positions.elements(); ++i)
    if (positions.as<int64_t>()[i] < 0 ||
        positions.as<int64_t>()[i] >= cos.shape[0])
      return Status::error("position " +
                           std::to_string(positions.as<int64_t>()[i]) +
                           " is beyond the " + std::to_string(cos.shape[0]) +
                           " rows of the RoPE tables");
  LLMC_CHECK(c.setOutput(0, x.shape));
  float *out = c.outputs[0]->as<float>();
  if (out != x.as<float>())
    std::memcpy(out, x.data, x.bytes());
  LLMC_PARAM(mode, c.params.integer("mode"));
  auto pairs =
      mode == 0 ? kernels::RopePairs::interleaved : kernels::RopePairs::half;
  int64_t stride = tokens * heads * headDim;
  for (int64_t b = 0; b < batch; ++b)
    kernels::rope(out + b * stride, cos.as<float>(), sin.as<float>(),
                  positions.as<int64_t>() + (perBatch ? b * tokens : 0), tokens,
                  heads, headDim, rotary, pairs);
  return Status::success();
}

Status cachedAttention(KernelContext &c) {
  LLMC_INPUT(q, 0, DType::f32);
  LLMC_INPUT(k, 1, DType::f32);
  LLMC_INPUT(v, 2, DType::f32);
  LLMC_INPUT(position, 4, DType::i64);
  const Tensor *paged = c.optionalInput(5);
  // The cache: f32, or a paged cache's f16, bf16, int8 or fp8 (read where
  // it is held, kernels/cpu/KvLoad.h; written a row at a time).
  const Tensor *stored = c.optionalInput(3);
  if (!stored)
    return Status::error("input 3 is missing");
  const Tensor &cache = *stored;
  const DType held = cache.dtype;
  const bool converted = held != DType::f32;
  if (converted && !(paged && (held == DType::f16 || held == DType::bf16 ||
                               held == DType::i8 || held == DType::f8e4m3)))
    return Status::error(std::string("a KV cache of ") + dtypeName(held) +
                         (paged ? "" : " without a block table") +
                         ": the CPU kernel reads f32, and a paged cache's "
                         "f16, bf16, i8 or f8e4m3");
  const bool coded = held == DType::i8 || held == DType::f8e4m3;
  Expected<AttentionShape> shape =
      attentionShape(c, q, k, v, cache, position, paged);
  if (!shape)
    return shape.status();
  const int32_t *table = paged ? paged->as<int32_t>() : nullptr;
  const int64_t batch = shape->batch, tokens = shape->tokens,
                qHeads = shape->qHeads, headDim = shape->headDim,
                kvHeads = shape->kvHeads, slots = shape->slots;
  // Each sequence's first position; `latest` the furthest of them.
  auto pastOf = [&](int64_t b) {
    return kernels::pastOf(*shape, position.as<int64_t>(), b);
  };
  int64_t latest = 0;
  for (int64_t b = 0; b < batch; ++b) {
    if (Status status = checkCachePositions(*shape, pastOf(b)); !status)
      return status;
    if (table)
      if (Status status = checkBlockTable(*shape, table, b, pastOf(b)); !status)
        return status;
    latest = std::max(latest, pastOf(b));
  }
  LLMC_CHECK(c.setOutput(0, q.shape));
  LLMC_CHECK(c.setOutput(1, cache.shape));
  float *store = reinterpret_cast<float *>(c.outputs[1]->data);
  uint8_t *bytes = c.outputs[1]->data;
  // Position p of kv head h: its slot in the cache (kernels::cachedRow)
  // before `past`, the call's own k and v from there on.
  auto cached = [&](int64_t kv, int64_t b, int64_t h, int64_t p) {
    return store + kernels::cachedRow(*shape, table, kv, b, h, p);
  };
  // A converted cache's rows are read where they are (the attention kernel
  // converts them in registers), with their plane's scale if coded.
  const kernels::KvStorage storage = kvStorageOf(held);
  const int64_t elementBytes = kernels::kvElementBytes(storage);
  const int64_t rowBytes = shape->headDim * elementBytes;
  auto writeRow = [&](int64_t kv, int64_t b, int64_t h, int64_t p,
                      const float *row) {
    if (coded)
      kernels::writeKvRow(
          bytes + kernels::cachedPlane(*shape, table, kv, b, h, p),
          shape->blockTokens, shape->headDim, p % shape->blockTokens, row,
          kernels::kvCodesOf(storage));
    else
      kernels::narrowKvRow(storage, row, shape->headDim,
                           bytes + elementBytes * kernels::cachedRow(*shape,
                                                                     table, kv,
                                                                     b, h, p));
  };
  auto added = [&](const Tensor &x, int64_t b, int64_t t, int64_t h) {
    return x.as<float>() + ((b * tokens + t) * kvHeads + h) * headDim;
  };
  const kernels::ScoreRule rule{shape->scale, shape->softcap, shape->window};
  float *out = c.outputs[0]->as<float>();
  // One task per (block of query tokens, kv head, slice of its query
  // heads): the block's rows read each key and value once. Decode has one
  // token, so its kv heads are what spreads over the threads.
  int64_t group = qHeads / kvHeads;
  int64_t heads = std::min(group, kernels::kMaxAttentionRows);
  int64_t slices = (group + heads - 1) / heads;
  int64_t block = std::max<int64_t>(1, kernels::kMaxAttentionRows / heads);
  int64_t blocks = (tokens + block - 1) / block;
  int64_t rowStride = qHeads * headDim;
  const int64_t tasks = batch * blocks * kvHeads * slices;
  // A call with less than a chunk's work in all (a small model's decode
  // step) runs on the caller alone.
  const int64_t work =
      batch * qHeads * tokens * (latest + tokens) * headDim * 2;
  // Each thread's scores and key table for the most keys a task sees (the
  // contract's per-worker rule plans it).
  const int64_t maxSpan =
      rule.window > 0 ? std::min(latest + tokens, block + rule.window - 1)
                      : latest + tokens;
  // A converted cache's row tables and scales follow the f32 key table.
  const int64_t rowsBytes =
      format::scratchPiece(2 * maxSpan * int64_t(sizeof(const float *)));
  const int64_t heldBytes =
      converted ? format::scratchPiece(2 * maxSpan * int64_t(sizeof(void *))) +
                      format::scratchPiece(2 * maxSpan * sizeof(float))
                : 0;
  // Summing the attention each position receives (h2o eviction): one
  // task per (sequence, kv head) runs its blocks of tokens and slices of
  // query heads in order, so each sum has one writer and one order.
  float *const *receivedBy = table ? c.attentionReceived : nullptr;
  LLMC_CHECK(
      c.workerScratchFor(
           format::scratchPiece(kernels::kMaxAttentionRows * maxSpan *
                                sizeof(float)) +
           rowsBytes + heldBytes +
           (receivedBy ? format::scratchPiece(maxSpan * sizeof(float)) : 0))
          .status());
  const uint64_t perThread = c.workerScratchBytes;
  const int64_t units = receivedBy ? batch * kvHeads : tasks;
  const int64_t perUnit = receivedBy ? blocks * slices : 1;
  c.pool.parallelFor(
      units,
      [&](int64_t begin, int64_t end) {
        // This thread's scores [rows, span], then its key and value rows.
        uint8_t *mine = c.workerScratch + ThreadPool::slot() * perThread;
        // Task i = ((b * kvHeads + head) * blocks + block) * slices +
        // slice: a summing unit (b, head) is perUnit consecutive tasks.
        for (int64_t i = begin * perUnit; i < end * perUnit; ++i) {
          int64_t slice = i % slices, t0 = i / slices % blocks * block,
                  head = i / slices / blocks % kvHeads,
                  b = i / slices / blocks / kvHeads;
          const int64_t past = pastOf(b);
          int64_t rows = std::min(block, tokens - t0);
          // The positions the block sees: from its first token's first key to
          // its last token.
          int64_t last = past + t0 + rows;
          int64_t from = rule.window > 0
                             ? std::max<int64_t>(0, past + t0 + 1 - rule.window)
                             : 0;
          int64_t span = last - from;
          float *s = reinterpret_cast<float *>(mine);
          const float **rowsOf = reinterpret_cast<const float **>(
              mine + format::scratchPiece(kernels::kMaxAttentionRows * span *
                                          sizeof(float)));
          const void **heldOf = reinterpret_cast<const void **>(
              reinterpret_cast<uint8_t *>(rowsOf) +
              format::scratchPiece(2 * span * int64_t(sizeof(const float *))));
          float *scales = reinterpret_cast<float *>(
              reinterpret_cast<uint8_t *>(heldOf) +
              format::scratchPiece(2 * span * int64_t(sizeof(void *))));
          kernels::KeyRows keyRows{rowsOf, rowsOf + span};
          if (converted) {
            keyRows.cached = std::max<int64_t>(0, past - from);
            keyRows.held = storage;
            keyRows.cachedKeys = heldOf;
            keyRows.cachedValues = heldOf + span;
            if (coded) {
              keyRows.keyScales = scales;
              keyRows.valueScales = scales + span;
            }
          }
          // The cached positions a block of the pool at a time (its plane
          // and scale found once), then the call's own.
          const int64_t cachedEnd = std::min(last, past);
          for (int64_t p = from; p < cachedEnd;) {
            const int64_t run =
                table ? std::min(cachedEnd, (p / shape->blockTokens + 1) *
                                                shape->blockTokens)
                      : p + 1;
            if (!converted) {
              for (; p < run; ++p) {
                rowsOf[p - from] = cached(0, b, head, p);
                rowsOf[span + p - from] = cached(1, b, head, p);
              }
              continue;
            }
            const uint8_t *planes[2];
            float scale[2] = {1.0f, 1.0f};
            for (int64_t kv = 0; kv < 2; ++kv) {
              planes[kv] =
                  bytes + elementBytes * kernels::cachedPlane(*shape, table, kv,
                                                              b, head, p);
              if (coded)
                scale[kv] = kernels::kvScale(planes[kv], shape->blockTokens,
                                             shape->headDim);
            }
            for (; p < run; ++p) {
              const int64_t j = p - from,
                            at = p % shape->blockTokens * rowBytes;
              heldOf[j] = planes[0] + at;
              heldOf[span + j] = planes[1] + at;
              scales[j] = scale[0];
              scales[span + j] = scale[1];
            }
          }
          for (int64_t p = std::max(from, past); p < last; ++p) {
            rowsOf[p - from] = added(k, b, p - past, head);
            rowsOf[span + p - from] = added(v, b, p - past, head);
          }
          int64_t first = head * group + slice * heads;
          int64_t at = (b * tokens + t0) * rowStride + first * headDim;
          float *received = nullptr;
          if (receivedBy) {
            received = reinterpret_cast<float *>(
                reinterpret_cast<uint8_t *>(rowsOf) +
                format::scratchPiece(2 * span * int64_t(sizeof(void *))) +
                (converted ? format::scratchPiece(2 * span *
                                                  int64_t(sizeof(void *))) +
                                 format::scratchPiece(2 * span * sizeof(float))
                           : 0));
            std::fill(received, received + span, 0.0f);
          }
          kernels::attendKvHead(q.as<float>() + at, out + at, rowStride, rows,
                                std::min(heads, group - slice * heads),
                                past + t0 + 1 - from, keyRows, headDim, rule, s,
                                received);
          if (received)
            for (int64_t j = 0; j < span; ++j)
              receivedBy[b][kernels::receivedSlot(*shape, head, from + j)] +=
                  received[j];
        }
      },
      work < kChunkWork ? units : 1);
  // Then the new keys and values go into their slots (in a ring, only the
  // last `slots` of them stay).
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = std::max<int64_t>(0, tokens - slots); t < tokens; ++t)
      for (int64_t h = 0; h < kvHeads; ++h) {
        const int64_t p = pastOf(b) + t;
        writeRow(0, b, h, p, added(k, b, t, h));
        writeRow(1, b, h, p, added(v, b, t, h));
      }
  return Status::success();
}

} // namespace llmc::runtime::cpu
