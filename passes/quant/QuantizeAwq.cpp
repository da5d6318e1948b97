//===- QuantizeAwq.cpp - 4-bit AWQ ----------------------------------------===//
//
// See Passes.td: llmc-quantize-awq, and Awq.h for the searches. This file
// finds which weights share an input and which op makes it, scales them,
// folds the inverse scales into that op, clips and rounds.
//
//===----------------------------------------------------------------------===//

#include "dialects/llmc/IR/ConstantData.h"
#include "passes/Passes.h"
#include "passes/quant/Awq.h"
#include "passes/quant/QuantTargets.h"
#include "passes/quant/Statistics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SetVector.h"

namespace llmc {
#define GEN_PASS_DEF_QUANTIZEAWQ
#include "passes/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;

namespace {

/// One weight being quantized: its values as AWQ transforms them, and the
/// per-input-channel scales its inputs are divided by.
struct Prepared {
  quant::Matrix matrix;
  std::vector<float> original;
  const quant::InputStats *stats = nullptr;
  std::vector<float> inputScales;
  /// Set when a later weight's scales divide this one's rows.
  std::optional<std::vector<float>> rowScales;
};

/// A new f32 constant of `values` with `old`'s type, named after it.
Value makeConstant(OpBuilder &b, ConstantOp old, ArrayRef<float> values) {
  std::string name = "awq";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(old.getValue()))
    name = resource.getRawHandle().getKey().str() + ".awq";
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  return ConstantOp::create(
      b, old.getLoc(),
      makeResourceAttr(cast<ShapedType>(old.getType()), name, bytes));
}

/// The f32 values of a 1-D constant, or none.
std::optional<std::vector<float>> constantValues(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant || cast<RankedTensorType>(constant.getType()).getRank() != 1)
    return std::nullopt;
  return quant::readF32Constant(constant);
}

struct QuantizeAwq : llmc::impl::QuantizeAwqBase<QuantizeAwq> {
  using QuantizeAwqBase::QuantizeAwqBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The statistics of the model as it stands, then the weights the
    // group size does not divide set aside.
    FailureOr<quant::StatsSource> stats =
        quant::StatsSource::gather(module, {calib, calibTokenizer, this->stats},
                                   syntheticCalibration, getArgument());
    if (failed(stats))
      return signalPassFailure();
    FailureOr<std::vector<quant::WeightUse>> kept =
        quant::setAsideUndivided(module, quant::collectWeightUses(module, skip),
                                 groupSize, fallback, getArgument());
    if (failed(kept))
      return signalPassFailure();
    std::vector<quant::WeightUse> uses = std::move(*kept);
    settings.group = groupSize;
    settings.zeroPoint = zeroPoint;
    // Every distinct weight, read once.
    for (const quant::WeightUse &use : uses) {
      std::optional<quant::WeightKey> key =
          quant::weightKey(use.op->getOperand(use.operand));
      if (!key || prepared.count(*key))
        continue;
      FailureOr<quant::WeightMatrix> weight =
          quant::readWeight(use, getArgument());
      if (failed(weight) ||
          failed(quant::checkGroupSize(use, *weight, groupSize, getArgument())))
        return signalPassFailure();
      FailureOr<const quant::InputStats *> inputs =
          stats->find(use, weight->k, getArgument());
      if (failed(inputs))
        return signalPassFailure();
      Prepared &p = prepared[*key];
      p.matrix = {weight->n, weight->k, weight->values};
      p.original = weight->values;
      p.stats = *inputs;
      p.inputScales.assign(weight->k, 1.0f);
    }
    scaleNormalizedInputs(module);
    scaleDownProjections(module);
    auto quantize =
        [&](const quant::WeightUse &use,
            const quant::WeightMatrix &) -> FailureOr<quant::QuantizedWeight> {
      Prepared &p =
          prepared.at(*quant::weightKey(use.op->getOperand(use.operand)));
      return finish(use, p);
    };
    if (failed(quant::rewriteWeights(uses, getArgument(), quantize)))
      signalPassFailure();
  }

  /// The weight behind an operand, if it is being quantized.
  Prepared *find(Value weight) {
    std::optional<quant::WeightKey> key = quant::weightKey(weight);
    if (!key)
      return nullptr;
    auto found = prepared.find(*key);
    return found == prepared.end() ? nullptr : &found->second;
  }

  /// The weights reading `value` as their input, or none when anything
  /// else reads it too.
  std::optional<std::vector<Prepared *>> readers(Value value) {
    std::vector<Prepared *> out;
    for (Operation *user : value.getUsers()) {
      SmallVector<Value> weights;
      if (auto linear = dyn_cast<LinearOp>(user);
          linear && linear.getInput() == value)
        weights.push_back(linear.getWeight());
      else if (auto head = dyn_cast<LmHeadOp>(user);
               head && head.getInput() == value)
        weights.push_back(head.getWeight());
      else if (auto gated = dyn_cast<GatedMlpOp>(user);
               gated && gated.getInput() == value)
        weights.append({gated.getGate(), gated.getUp()});
      else
        return std::nullopt;
      for (Value weight : weights) {
        Prepared *p = find(weight);
        if (!p)
          return std::nullopt;
        if (llvm::find(out, p) == out.end())
          out.push_back(p);
      }
    }
    if (out.empty())
      return std::nullopt;
    return out;
  }

  /// Searches the scales of weights sharing one input (once per set).
  const std::vector<float> &scalesFor(const std::vector<Prepared *> &group) {
    std::vector<const void *> key;
    for (Prepared *p : group)
      key.push_back(p);
    auto found = searched.find(key);
    if (found != searched.end())
      return found->second;
    std::vector<const quant::Matrix *> matrices;
    for (Prepared *p : group)
      matrices.push_back(&p->matrix);
    const quant::InputStats &inputs = *group.front()->stats;
    std::vector<float> scales =
        quant::searchAwqScales(matrices, inputs.samples(), inputs.sampleRows(),
                               inputs.meanMagnitude(), settings);
    for (Prepared *p : group) {
      int64_t k = p->matrix.k;
      for (int64_t r = 0; r < p->matrix.n; ++r)
        for (int64_t c = 0; c < k; ++c)
          p->matrix.values[r * k + c] *= scales[c];
      p->inputScales = scales;
    }
    return searched.emplace(key, std::move(scales)).first->second;
  }

  /// q/k/v, gate/up and the lm_head after a normalization: scale them,
  /// divide the normalization's weight (and bias) by the scales.
  void scaleNormalizedInputs(ModuleOp module) {
    SetVector<ConstantOp> replaced;
    module.walk([&](Operation *op) {
      if (!isa<RmsNormOp, LayerNormOp>(op))
        return;
      std::optional<std::vector<Prepared *>> group = readers(op->getResult(0));
      std::optional<std::vector<float>> weight =
          constantValues(op->getOperand(1));
      std::optional<std::vector<float>> bias;
      if (auto layer = dyn_cast<LayerNormOp>(op); layer && layer.getBias()) {
        bias = constantValues(layer.getBias());
        if (!bias)
          return;
      }
      if (!group || !weight)
        return;
      const std::vector<float> &scales = scalesFor(*group);
      OpBuilder b(op);
      for (size_t c = 0; c < weight->size(); ++c) {
        (*weight)[c] /= scales[c];
        if (bias)
          (*bias)[c] /= scales[c];
      }
      auto constantOf = [&](unsigned i) {
        return op->getOperand(i).getDefiningOp<ConstantOp>();
      };
      replaced.insert(constantOf(1));
      op->setOperand(1, makeConstant(b, constantOf(1), *weight));
      if (bias) {
        replaced.insert(constantOf(2));
        op->setOperand(2, makeConstant(b, constantOf(2), *bias));
      }
    });
    for (ConstantOp constant : replaced)
      if (constant->use_empty())
        constant->erase();
  }

  /// A gated MLP's down projection: its input act(gate) * up is linear in
  /// up, so the scales divide up's rows.
  void scaleDownProjections(ModuleOp module) {
    module.walk([&](GatedMlpOp gated) {
      Prepared *down = find(gated.getDown()), *up = find(gated.getUp());
      if (!down || !up || up->rowScales)
        return;
      const std::vector<float> &scales = scalesFor({down});
      int64_t k = up->matrix.k;
      for (int64_t r = 0; r < up->matrix.n; ++r)
        for (int64_t c = 0; c < k; ++c)
          up->matrix.values[r * k + c] /= scales[r];
      up->rowScales = scales;
    });
  }

  /// Clips, rounds and records the error of one prepared weight.
  FailureOr<quant::QuantizedWeight> finish(const quant::WeightUse &use,
                                           Prepared &p) {
    int64_t n = p.matrix.n, k = p.matrix.k;
    // The inputs this weight now meets: divided by its scales.
    int64_t rows = p.stats->sampleRows();
    std::vector<float> samples(p.stats->samples());
    for (int64_t s = 0; s < rows; ++s)
      for (int64_t c = 0; c < k; ++c)
        samples[s * k + c] /= p.inputScales[c];
    quant::clipAwq(p.matrix, samples, rows, settings);
    quant::Int4Matrix q = quant::quantizeInt4Rtn(p.matrix.values.data(), n, k,
                                                 groupSize, zeroPoint);
    // The error in the scaled basis: scaled inputs, the weight as scaled
    // (before clipping) against what it rounds to.
    std::vector<double> gram(p.stats->gram());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        gram[i * k + j] /= double(p.inputScales[i]) * p.inputScales[j];
    std::vector<float> target(p.original);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c)
        target[r * k + c] *= p.inputScales[c];
    if (p.rowScales)
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < k; ++c)
          target[r * k + c] /= (*p.rowScales)[r];
    quant::recordOutputError(use, gram, target,
                             quant::dequantizeInt4(q, n, k, groupSize), n, k);
    quant::WeightMatrix shape;
    shape.n = n;
    shape.k = k;
    return quant::packInt4(&getContext(), shape, groupSize, zeroPoint,
                           std::move(q));
  }

  quant::AwqSettings settings;
  std::map<quant::WeightKey, Prepared> prepared;
  std::map<std::vector<const void *>, std::vector<float>> searched;
};

} // namespace
