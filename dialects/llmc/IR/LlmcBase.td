//===- LlmcBase.td - the llmc dialect and its op base class -*- tablegen -*-===//
//
// The graph-level dialect every llmc pass works on. Ops come in two layers:
// primitive ops close to ONNX semantics (the importer's target) and
// transformer ops the optimization passes reason about.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_BASE_TD
#define LLMC_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Llmc_Dialect : Dialect {
  let name = "llmc";
  let cppNamespace = "::llmc";
  let summary = "Graph-level IR for large-language-model inference";
  let description = [{
    Tensor-semantics ops for transformer inference. Symbolic dimensions
    (`batch`, `sequence`, `past`) are carried by the `#llmc.dims` tensor
    encoding; quantized weights have their own type, `!llmc.qweight`, whose
    parameters (storage type, granularity, group size, scale and zero-point
    types) are checked by its verifier.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
}

class Llmc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Llmc_Dialect, mnemonic, traits>;

#endif // LLMC_BASE_TD
