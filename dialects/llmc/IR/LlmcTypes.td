//===- LlmcTypes.td - types of the llmc dialect ------------*- tablegen -*-===//

#ifndef LLMC_TYPES_TD
#define LLMC_TYPES_TD

include "dialects/llmc/IR/LlmcBase.td"
include "dialects/llmc/IR/LlmcEnums.td"

def Llmc_QWeightType : TypeDef<Llmc_Dialect, "QWeight"> {
  let mnemonic = "qweight";
  let summary = "a quantized 2-D weight matrix [out_features, in_features]";
  let description = [{
    The value of a quantized linear weight: its integer or fp8 codes plus the
    scales (and zero points) that map them back to real numbers:
    `w = (code - zero) * scale`. Scales are shared along the input
    (reduction) dimension:

    - `per_tensor`: one scale, scales are `[1, 1]`;
    - `per_channel`: one scale per output row, scales are `[out, 1]`;
    - `group N`: one scale per N consecutive inputs of a row, scales are
      `[out, in / N]` (GPTQ, AWQ, ONNX `MatMulNBits`).

    ```
    !llmc.qweight<4096x4096xui4, group 128, scale f16, zero ui4>   // AWQ
    !llmc.qweight<4096x4096xsi4, group 128, scale f16>             // GPTQ sym
    !llmc.qweight<4096x4096xsi8, per_channel, scale f32>           // INT8
    !llmc.qweight<4096x4096xf8E4M3FN, per_tensor, scale f32>       // FP8
    ```

    The storage type is a signed or unsigned 4- or 8-bit integer, or an fp8
    format (E4M3FN, E5M2; no zero point). Zero points, where present, have
    the storage type or a float type.
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$shape,
    "::mlir::Type":$storageType,
    "::llmc::QuantGranularity":$granularity,
    "int64_t":$groupSize,
    "::mlir::Type":$scaleType,
    OptionalParameter<"::mlir::Type">:$zeroType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getOutFeatures() const { return getShape()[0]; }
    int64_t getInFeatures() const { return getShape()[1]; }
    bool hasZeroPoints() const { return static_cast<bool>(getZeroType()); }
    /// Bits per stored weight code.
    unsigned getBitWidth() const;
    /// The shape shared by the scales and zero points.
    ::llvm::SmallVector<int64_t, 2> getScaleShape() const;
    /// How many inputs of a row share a scale: the group size, or the
    /// whole row per channel or tensor (as the runtime reads the weight).
    int64_t getInputsPerScale() const;
    /// tensor<out x in x storage>: the type of the codes.
    ::mlir::RankedTensorType getDataTensorType() const;
    ::mlir::RankedTensorType getScalesTensorType() const;
    /// Null when the weight has no zero points.
    ::mlir::RankedTensorType getZerosTensorType() const;
  }];
}

#endif // LLMC_TYPES_TD
