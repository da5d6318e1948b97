//===- QuantTargets.h - the weights a quantization pass rewrites ----------===//
//
// Every quantization pass walks the same weights (those of `linear`,
// `lm_head`, `gated_mlp` and `mlp`), names them the same way for `skip`
// lists and errors, reads them as real [out, in] matrices whatever layout
// the IR keeps them in, and replaces them by an `llmc.qconstant`. A weight
// that several ops or entry points read is quantized once.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_QUANT_QUANTTARGETS_H
#define LLMC_PASSES_QUANT_QUANTTARGETS_H

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/quant/Calibration.h"
#include "passes/quant/QuantMath.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llmc::quant {

/// One weight operand of an op.
struct WeightUse {
  mlir::Operation *op = nullptr;
  unsigned operand = 0;
  /// "lm_head", or the op's ONNX node name (+ " gate"/" up"/" down").
  std::string name;
};

/// A weight's real values, [n = out, k = in] row-major.
struct WeightMatrix {
  int64_t n = 0, k = 0;
  std::vector<float> values;
  /// The resource name of the constant it came from (for the new blobs).
  std::string source;
};

/// A quantized weight as `llmc.qconstant` holds it: one code per weight
/// (si8/ui4/si4/fp8 bit patterns in a byte), scales as floats (written in
/// the type's scale type), zeros (if the type has them) as integers.
struct QuantizedWeight {
  QWeightType type;
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  std::vector<int32_t> zeros;
};

/// An `llmc.qconstant` holding `weight`, its blobs named after `source`.
QConstantOp createQConstant(mlir::OpBuilder &builder, mlir::Location loc,
                            const QuantizedWeight &weight,
                            const std::string &source);

/// Every weight use of `module` in walk order, without those whose name
/// contains an entry of `skip`.
std::vector<WeightUse> collectWeightUses(mlir::ModuleOp module,
                                         llvm::ArrayRef<std::string> skip);

/// The calibration key of a weight operand (a constant or the [1, 0]
/// transpose of one); none for anything else.
std::optional<WeightKey> weightKey(mlir::Value weight);

/// The constant behind a weight operand (itself, or the input of a [1, 0]
/// transpose) and whether it is read transposed; none for anything else.
std::optional<std::pair<ConstantOp, bool>> constantBehind(mlir::Value weight);

/// The values of an f32 constant (dense, splat or resource), or none.
std::optional<std::vector<float>> readF32Constant(ConstantOp constant);

/// The input features of `use`'s weight ([out, in], real or quantized).
int64_t inputWidth(const WeightUse &use);

/// Whether `use` is a feed-forward op's down weight, whose input is the
/// op's hidden activations rather than the op's input.
bool readsHidden(const WeightUse &use);

/// The real [out, in] values of a weight operand: a constant, or [1, 0]
/// transpose of one. Errors name `use` and say why when it is neither, is
/// already quantized, or is not f32.
mlir::FailureOr<WeightMatrix> readWeight(const WeightUse &use,
                                         llvm::StringRef pass);

/// Quantizes every use in `uses` with `quantize` (once per distinct source
/// weight) and points the uses at the result; erases what is left unused.
mlir::LogicalResult
rewriteWeights(llvm::ArrayRef<WeightUse> uses, llvm::StringRef pass,
               const std::function<mlir::FailureOr<QuantizedWeight>(
                   const WeightUse &, const WeightMatrix &)> &quantize);

/// An error at the use's op: "<pass>: layer '<name>': <message>".
mlir::InFlightDiagnostic emitWeightError(const WeightUse &use,
                                         llvm::StringRef pass);

/// Records the output error of `quantized` against `weight` (both [n, k])
/// on inputs of Gram matrix `gram` in the module attribute
/// llmc.quant_errors, under the use's name.
void recordOutputError(const WeightUse &use, const std::vector<double> &gram,
                       const std::vector<float> &weight,
                       const std::vector<float> &quantized, int64_t n,
                       int64_t k);

/// The 4-bit type of an [n, k] weight in groups: ui4 with ui4 zero points,
/// or si4 without; f16 scales.
QWeightType int4Type(mlir::MLIRContext *context, int64_t n, int64_t k,
                     int64_t group, bool zeroPoint);

/// `q` (codes 0..15 of `weight`, zero 8 when symmetric) as int4Type's
/// qconstant contents: si4 codes are stored as code - 8.
QuantizedWeight packInt4(mlir::MLIRContext *context, const WeightMatrix &weight,
                         int64_t group, bool zeroPoint, Int4Matrix q);

/// packInt4 of `q`, having recorded its output error on `stats` when
/// there are statistics (recordOutputError).
QuantizedWeight finishInt4(mlir::MLIRContext *context, const WeightUse &use,
                           const InputStats *stats, const WeightMatrix &weight,
                           int64_t group, bool zeroPoint, Int4Matrix q);

/// `weight` in int8 codes with one f32 scale per output channel: what
/// llmc-quantize-int8 stores.
QuantizedWeight quantizeInt8(mlir::MLIRContext *context,
                             const WeightMatrix &weight);

/// The 4-bit passes' weights whose input features `group` (a multiple of
/// 32) does not divide, as `fallback` says: "int8" quantizes them now
/// (quantizeInt8), "fp32" leaves them as they are, "error" is an error
/// naming the first; the kept ones are named in one warning on `module`.
/// Returns the other uses, for the pass to quantize in groups.
mlir::FailureOr<std::vector<WeightUse>>
setAsideUndivided(mlir::ModuleOp module, std::vector<WeightUse> uses,
                  int64_t group, llvm::StringRef fallback,
                  llvm::StringRef pass);

/// Checks `group` against a weight (multiple of 32, divides k).
mlir::LogicalResult checkGroupSize(const WeightUse &use,
                                   const WeightMatrix &weight, int64_t group,
                                   llvm::StringRef pass);

} // namespace llmc::quant

#endif // LLMC_PASSES_QUANT_QUANTTARGETS_H
