//===- QuantTargets.cpp - the weights a quantization pass rewrites --------===//

#include "passes/quant/QuantTargets.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "runtime/format/Float16.h"
#include "runtime/format/Progress.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SetVector.h"

#include <map>
#include <set>

using namespace mlir;

namespace llmc::quant {
namespace {

std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string name = locationName(part); !name.empty())
        return name;
  return "";
}

/// `op`'s name for skip lists and errors.
std::string opName(Operation *op) {
  std::string name = locationName(op->getLoc());
  return name.empty() ? op->getName().getStringRef().str() : name;
}

/// The attributes of a qconstant holding `weight`.
struct QAttrs {
  ElementsAttr data, scales, zeros;
};

QAttrs makeAttrs(const QuantizedWeight &weight, const std::string &source) {
  QWeightType type = weight.type;
  std::string base = source + ".q";
  // The blobs are 8-byte aligned, whatever their element type.
  const size_t alignment = alignof(uint64_t);
  QAttrs attrs;
  attrs.data =
      makeResourceAttr(type.getDataTensorType(), base + ".codes",
                       {reinterpret_cast<const char *>(weight.codes.data()),
                        weight.codes.size()},
                       alignment);
  std::vector<char> scales;
  if (type.getScaleType().isF16()) {
    for (float scale : weight.scales) {
      uint16_t half = format::floatToHalf(scale);
      scales.insert(scales.end(), reinterpret_cast<char *>(&half),
                    reinterpret_cast<char *>(&half) + 2);
    }
  } else {
    scales.assign(reinterpret_cast<const char *>(weight.scales.data()),
                  reinterpret_cast<const char *>(weight.scales.data() +
                                                 weight.scales.size()));
  }
  attrs.scales = makeResourceAttr(type.getScalesTensorType(), base + ".scales",
                                  scales, alignment);
  if (type.hasZeroPoints()) {
    std::vector<char> zeros;
    for (int32_t zero : weight.zeros)
      zeros.push_back(static_cast<char>(zero));
    attrs.zeros = makeResourceAttr(type.getZerosTensorType(), base + ".zeros",
                                   zeros, alignment);
  }
  return attrs;
}

} // namespace

QConstantOp createQConstant(OpBuilder &builder, Location loc,
                            const QuantizedWeight &weight,
                            const std::string &source) {
  QAttrs attrs = makeAttrs(weight, source);
  return QConstantOp::create(builder, loc, weight.type, attrs.data,
                             attrs.scales, attrs.zeros);
}

InFlightDiagnostic emitWeightError(const WeightUse &use, StringRef pass) {
  return use.op->emitError() << pass << ": layer '" << use.name << "': ";
}

std::vector<WeightUse> collectWeightUses(ModuleOp module,
                                         ArrayRef<std::string> skip) {
  std::vector<WeightUse> uses;
  auto add = [&](Operation *op, Value weight, std::string name) {
    for (const std::string &entry : skip)
      if (!entry.empty() && name.find(entry) != std::string::npos)
        return;
    for (OpOperand &operand : op->getOpOperands())
      if (operand.get() == weight) {
        uses.push_back({op, operand.getOperandNumber(), std::move(name)});
        return;
      }
  };
  module.walk([&](Operation *op) {
    if (auto linear = dyn_cast<LinearOp>(op)) {
      add(op, linear.getWeight(), opName(op));
    } else if (auto head = dyn_cast<LmHeadOp>(op)) {
      add(op, head.getWeight(), "lm_head");
    } else if (auto gated = dyn_cast<GatedMlpOp>(op)) {
      add(op, gated.getGate(), opName(op) + " gate");
      add(op, gated.getUp(), opName(op) + " up");
      add(op, gated.getDown(), opName(op) + " down");
    } else if (auto mlp = dyn_cast<MlpOp>(op)) {
      add(op, mlp.getUp(), opName(op) + " up");
      add(op, mlp.getDown(), opName(op) + " down");
    }
  });
  return uses;
}

std::optional<std::pair<ConstantOp, bool>> constantBehind(Value weight) {
  if (auto constant = weight.getDefiningOp<ConstantOp>())
    return std::make_pair(constant, false);
  if (auto transpose = weight.getDefiningOp<TransposeOp>())
    if (auto constant = transpose.getInput().getDefiningOp<ConstantOp>())
      if (transpose.getPermutation() == ArrayRef<int64_t>{1, 0})
        return std::make_pair(constant, true);
  return std::nullopt;
}

/// constantBehind, or an error naming the use when there is none.
static FailureOr<std::pair<ConstantOp, bool>> weightSource(const WeightUse &use,
                                                           StringRef pass) {
  Value weight = use.op->getOperand(use.operand);
  if (isa<QWeightType>(weight.getType()))
    return emitWeightError(use, pass)
           << "is already quantized (" << weight.getType() << ")";
  if (std::optional<std::pair<ConstantOp, bool>> source =
          constantBehind(weight))
    return *source;
  return emitWeightError(use, pass)
         << "the weight is not a constant, so it cannot be quantized";
}

std::optional<WeightKey> weightKey(Value weight) {
  std::optional<std::pair<ConstantOp, bool>> source = constantBehind(weight);
  if (!source)
    return std::nullopt;
  return WeightKey(source->first.getValue().getAsOpaquePointer(),
                   source->second);
}

std::optional<std::vector<float>> readF32Constant(ConstantOp constant) {
  auto type = cast<RankedTensorType>(constant.getType());
  if (!type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  int64_t count = type.getNumElements();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(constant.getValue());
      dense && dense.isSplat())
    return std::vector<float>(count, dense.getSplatValue<float>());
  std::optional<ArrayRef<char>> raw = getRawConstantData(constant.getValue());
  if (!raw || static_cast<int64_t>(raw->size()) !=
                  count * static_cast<int64_t>(sizeof(float)))
    return std::nullopt;
  const float *begin = reinterpret_cast<const float *>(raw->data());
  return std::vector<float>(begin, begin + count);
}

FailureOr<WeightMatrix> readWeight(const WeightUse &use, StringRef pass) {
  FailureOr<std::pair<ConstantOp, bool>> source = weightSource(use, pass);
  if (failed(source))
    return failure();
  auto [constant, transposed] = *source;
  auto type = cast<RankedTensorType>(constant.getType());
  if (!type.getElementType().isF32() || type.getRank() != 2)
    return emitWeightError(use, pass)
           << "only 2-D f32 weights are quantized (run llmc-compute-type "
              "first), got "
           << type;
  std::optional<std::vector<float>> values = readF32Constant(constant);
  if (!values)
    return emitWeightError(use, pass) << "the weight's data is not available";
  const float *data = values->data();
  WeightMatrix matrix;
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  matrix.n = transposed ? cols : rows;
  matrix.k = transposed ? rows : cols;
  matrix.values.resize(rows * cols);
  if (transposed) {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        matrix.values[j * rows + i] = data[i * cols + j];
  } else {
    matrix.values.assign(data, data + rows * cols);
  }
  matrix.source = "weight";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    matrix.source = resource.getRawHandle().getKey().str();
  return matrix;
}

LogicalResult
rewriteWeights(ArrayRef<WeightUse> uses, StringRef pass,
               const std::function<FailureOr<QuantizedWeight>(
                   const WeightUse &, const WeightMatrix &)> &quantize) {
  // One quantized weight per (source data, transposed).
  std::map<WeightKey, std::pair<QWeightType, QAttrs>> done;
  llvm::SetVector<Operation *> replaced;
  std::set<WeightKey> distinct;
  for (const WeightUse &use : uses)
    if (std::optional<WeightKey> key =
            weightKey(use.op->getOperand(use.operand)))
      distinct.insert(*key);
  runtime::Progress progress(pass.str(), int64_t(distinct.size()), "weights");
  for (const WeightUse &use : uses) {
    FailureOr<std::pair<ConstantOp, bool>> source = weightSource(use, pass);
    if (failed(source))
      return failure();
    WeightKey key(source->first.getValue().getAsOpaquePointer(),
                  source->second);
    auto found = done.find(key);
    if (found == done.end()) {
      progress.update(int64_t(done.size()));
      FailureOr<WeightMatrix> matrix = readWeight(use, pass);
      if (failed(matrix))
        return failure();
      FailureOr<QuantizedWeight> weight = quantize(use, *matrix);
      if (failed(weight))
        return failure();
      found =
          done.emplace(key, std::make_pair(weight->type,
                                           makeAttrs(*weight, matrix->source)))
              .first;
    }
    auto &[type, attrs] = found->second;
    OpBuilder builder(use.op);
    Value old = use.op->getOperand(use.operand);
    auto qconstant = QConstantOp::create(builder, old.getLoc(), type,
                                         attrs.data, attrs.scales, attrs.zeros);
    use.op->setOperand(use.operand, qconstant);
    replaced.insert(old.getDefiningOp());
  }
  progress.complete();
  // The transposes and constants nothing reads any more (a constant comes
  // back once the last transpose of it goes).
  while (!replaced.empty()) {
    Operation *op = replaced.pop_back_val();
    if (!op->use_empty())
      continue;
    if (auto transpose = dyn_cast<TransposeOp>(op))
      replaced.insert(transpose.getInput().getDefiningOp());
    op->erase();
  }
  return success();
}

int64_t inputWidth(const WeightUse &use) {
  Type type = use.op->getOperand(use.operand).getType();
  if (auto quantized = dyn_cast<QWeightType>(type))
    return quantized.getInFeatures();
  return cast<RankedTensorType>(type).getDimSize(1);
}

bool readsHidden(const WeightUse &use) {
  if (auto gated = dyn_cast<GatedMlpOp>(use.op))
    return use.operand == gated.getDownMutable().getOperandNumber();
  if (auto mlp = dyn_cast<MlpOp>(use.op))
    return use.operand == mlp.getDownMutable().getOperandNumber();
  return false;
}

void recordOutputError(const WeightUse &use, const std::vector<double> &gram,
                       const std::vector<float> &weight,
                       const std::vector<float> &quantized, int64_t n,
                       int64_t k) {
  double error =
      relativeOutputError(gram, weight.data(), quantized.data(), n, k);
  auto module = use.op->getParentOfType<ModuleOp>();
  NamedAttrList errors;
  if (auto old = module->getAttrOfType<DictionaryAttr>("llmc.quant_errors"))
    errors.append(old.getValue());
  Builder b(module.getContext());
  errors.set(use.name, b.getF64FloatAttr(error));
  module->setAttr("llmc.quant_errors", errors.getDictionary(b.getContext()));
}

QWeightType int4Type(MLIRContext *context, int64_t n, int64_t k, int64_t group,
                     bool zeroPoint) {
  Builder b(context);
  Type storage = IntegerType::get(
      context, 4, zeroPoint ? IntegerType::Unsigned : IntegerType::Signed);
  return QWeightType::get(context, {n, k}, storage, QuantGranularity::group,
                          group, b.getF16Type(), zeroPoint ? storage : Type());
}

QuantizedWeight packInt4(MLIRContext *context, const WeightMatrix &weight,
                         int64_t group, bool zeroPoint, Int4Matrix q) {
  QuantizedWeight out;
  out.type = int4Type(context, weight.n, weight.k, group, zeroPoint);
  out.codes = std::move(q.codes);
  if (zeroPoint)
    out.zeros = std::move(q.zeros);
  else
    for (uint8_t &code : out.codes)
      code = static_cast<uint8_t>((code - 8) & 0x0f);
  out.scales = std::move(q.scales);
  return out;
}

QuantizedWeight finishInt4(MLIRContext *context, const WeightUse &use,
                           const InputStats *stats, const WeightMatrix &weight,
                           int64_t group, bool zeroPoint, Int4Matrix q) {
  if (stats)
    recordOutputError(use, stats->gram(), weight.values,
                      dequantizeInt4(q, weight.n, weight.k, group), weight.n,
                      weight.k);
  return packInt4(context, weight, group, zeroPoint, std::move(q));
}

QuantizedWeight quantizeInt8(MLIRContext *context, const WeightMatrix &weight) {
  QuantizedWeight out;
  std::vector<int8_t> codes;
  quantizeInt8Rows(weight.values.data(), weight.n, weight.k, codes, out.scales);
  out.codes.assign(codes.begin(), codes.end());
  out.type = QWeightType::get(context, {weight.n, weight.k},
                              IntegerType::get(context, 8, IntegerType::Signed),
                              QuantGranularity::per_channel, 0,
                              Float32Type::get(context), Type());
  return out;
}

FailureOr<std::vector<WeightUse>>
setAsideUndivided(ModuleOp module, std::vector<WeightUse> uses, int64_t group,
                  StringRef fallback, StringRef pass) {
  if (fallback != "int8" && fallback != "fp32" && fallback != "error")
    return module.emitError() << pass << ": fallback '" << fallback
                              << "': expected int8, fp32 or error";
  // An unsupported group size is checkGroupSize's error, at the weights.
  if (group <= 0 || group % 32 != 0)
    return uses;
  std::vector<WeightUse> divided, undivided;
  for (WeightUse &use : uses)
    (inputWidth(use) % group == 0 ? divided : undivided)
        .push_back(std::move(use));
  if (undivided.empty())
    return divided;
  if (fallback == "error") {
    emitWeightError(undivided.front(), pass)
        << "group size " << group << " does not divide its "
        << inputWidth(undivided.front())
        << " input features (choose another --group-size, --skip this "
           "layer, or leave out --strict to keep it in int8)";
    return failure();
  }
  // Named once however many entry points read them.
  std::vector<std::string> named;
  std::string names;
  for (const WeightUse &use : undivided) {
    if (llvm::is_contained(named, use.name))
      continue;
    named.push_back(use.name);
    names += (names.size() ? ", " : "") + use.name + " (" +
             std::to_string(inputWidth(use)) + ")";
  }
  module.emitWarning() << pass << ": group size " << group
                       << " does not divide the input features of "
                       << named.size()
                       << (named.size() == 1 ? " weight" : " weights")
                       << ", kept in "
                       << (fallback == "int8" ? "int8 per output channel"
                                              : "f32")
                       << ": " << names;
  if (fallback == "int8" &&
      failed(rewriteWeights(undivided, pass,
                            [&](const WeightUse &, const WeightMatrix &weight)
                                -> FailureOr<QuantizedWeight> {
                              return quantizeInt8(module.getContext(), weight);
                            })))
    return failure();
  return divided;
}

LogicalResult checkGroupSize(const WeightUse &use, const WeightMatrix &weight,
                             int64_t group, StringRef pass) {
  if (group <= 0 || group % 32 != 0)
    return emitWeightError(use, pass)
           << "group size " << group
           << " is not supported (use a positive multiple of 32: 32, 64, "
              "128, ...)";
  if (weight.k % group != 0)
    return emitWeightError(use, pass)
           << "group size " << group << " does not divide its " << weight.k
           << " input features (choose another --group-size, or --skip "
              "this layer)";
  return success();
}

} // namespace llmc::quant
