//===- PassOptions.h - the enum types of llmc pass options ----------------===//
//
// Pass options with a fixed set of values are enums, their values listed
// once here: Passes.td, the llmc-compile-pipeline options (Pipeline.h) and
// llmc compile's flags all take these lists, so every parser rejects
// anything else and names the option.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_PASSOPTIONS_H
#define LLMC_PASSES_PASSOPTIONS_H

#include "llvm/Support/CommandLine.h"

namespace llmc {

/// llmc-compute-type's element-type.
enum class ComputeElement { f32, f16, bf16 };

inline auto computeElementValues() {
  return llvm::cl::values(clEnumValN(ComputeElement::f32, "f32", "fp32"),
                          clEnumValN(ComputeElement::f16, "f16", "IEEE fp16"),
                          clEnumValN(ComputeElement::bf16, "bf16", "bfloat16"));
}

/// Which activations the int8 and fp8 quantizers round too: none, with one
/// scale per tensor from calibration (fp8), or per call / token.
enum class ActivationRounding { none, calibrated, dynamic };

/// The int8 quantizer's: none or per token.
inline auto int8ActivationValues() {
  return llvm::cl::values(
      clEnumValN(ActivationRounding::none, "none", "no"),
      clEnumValN(ActivationRounding::dynamic, "dynamic", "per token"));
}

/// The fp8 quantizer's: none, static (calibrated) or dynamic.
inline auto fp8ActivationValues() {
  return llvm::cl::values(
      clEnumValN(ActivationRounding::none, "none", "no"),
      clEnumValN(ActivationRounding::calibrated, "static",
                 "one scale per tensor, from calibration"),
      clEnumValN(ActivationRounding::dynamic, "dynamic", "one scale per call"));
}

/// The compile pipeline's weight quantization method.
enum class QuantMethod { none, int8, fp8, rtnInt4, gptqInt4, awqInt4 };

inline auto quantMethodValues() {
  return llvm::cl::values(
      clEnumValN(QuantMethod::none, "none", "float weights"),
      clEnumValN(QuantMethod::int8, "int8",
                 "int8 weights, one scale per output channel"),
      clEnumValN(QuantMethod::fp8, "fp8",
                 "fp8 E4M3 weights, one scale per output channel"),
      clEnumValN(QuantMethod::rtnInt4, "rtn-int4",
                 "4-bit weights in groups, rounded to nearest"),
      clEnumValN(QuantMethod::gptqInt4, "gptq-int4",
                 "4-bit weights in groups by GPTQ (needs calibration)"),
      clEnumValN(QuantMethod::awqInt4, "awq-int4",
                 "4-bit weights in groups by AWQ (needs calibration)"));
}

/// The method's flag value ("rtn-int4", ...), as quantMethodValues() names
/// it.
inline llvm::StringRef quantMethodName(QuantMethod method) {
  switch (method) {
  case QuantMethod::none:
    return "none";
  case QuantMethod::int8:
    return "int8";
  case QuantMethod::fp8:
    return "fp8";
  case QuantMethod::rtnInt4:
    return "rtn-int4";
  case QuantMethod::gptqInt4:
    return "gptq-int4";
  case QuantMethod::awqInt4:
    return "awq-int4";
  }
  return "";
}

/// Whether the method rounds to 4 bits in groups.
inline bool isFourBit(QuantMethod method) {
  return method == QuantMethod::rtnInt4 || method == QuantMethod::gptqInt4 ||
         method == QuantMethod::awqInt4;
}

} // namespace llmc

#endif // LLMC_PASSES_PASSOPTIONS_H
