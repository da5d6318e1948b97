//===- LlmcEnums.td - enumerations of the llmc dialect -----*- tablegen -*-===//

#ifndef LLMC_ENUMS_TD
#define LLMC_ENUMS_TD

include "mlir/IR/EnumAttr.td"

def Llmc_CompareKind : I32EnumAttr<"CompareKind",
    "elementwise comparison predicate", [
      I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"ne", 1>,
      I32EnumAttrCase<"lt", 2>, I32EnumAttrCase<"le", 3>,
      I32EnumAttrCase<"gt", 4>, I32EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::llmc";
}

def Llmc_RopeMode : I32EnumAttr<"RopeMode",
    "which dimensions rotary embedding rotates together", [
      // Pairs (2i, 2i+1): llama2.c, Meta's reference Llama.
      I32EnumAttrCase<"interleaved", 0>,
      // Pairs (i, i + d/2): Hugging Face's rotate_half.
      I32EnumAttrCase<"half", 1>]> {
  let cppNamespace = "::llmc";
}

def Llmc_Activation : I32EnumAttr<"Activation",
    "activation of a gated MLP", [
      I32EnumAttrCase<"silu", 0>, I32EnumAttrCase<"gelu", 1>,
      I32EnumAttrCase<"gelu_tanh", 2>]> {
  let cppNamespace = "::llmc";
}

def Llmc_QuantGranularity : I32EnumAttr<"QuantGranularity",
    "how many weights share one scale", [
      I32EnumAttrCase<"per_tensor", 0>, I32EnumAttrCase<"per_channel", 1>,
      I32EnumAttrCase<"group", 2>]> {
  let cppNamespace = "::llmc";
  let genSpecializedAttr = 0;
}

#endif // LLMC_ENUMS_TD
