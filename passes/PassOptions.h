//===- PassOptions.h - the enum types of llmc pass options ----------------===//
//
// Pass options with a fixed set of values are enums (Passes.td lists each
// option's values with clEnumValN), so the pass-pipeline parser rejects
// anything else and names the option.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_PASSOPTIONS_H
#define LLMC_PASSES_PASSOPTIONS_H

namespace llmc {

/// llmc-compute-type's element-type.
enum class ComputeElement { f32, f16, bf16 };

/// Which activations the int8 and fp8 quantizers round too: none, with one
/// scale per tensor from calibration (fp8), or per call / token.
enum class ActivationRounding { none, calibrated, dynamic };

} // namespace llmc

#endif // LLMC_PASSES_PASSOPTIONS_H
