//===- LlmcOps.td - all ops of the llmc dialect ------------*- tablegen -*-===//

#ifndef LLMC_OPS_TD
#define LLMC_OPS_TD

include "dialects/llmc/IR/LlmcBase.td"
include "dialects/llmc/IR/LlmcEnums.td"
include "dialects/llmc/IR/LlmcAttrs.td"
include "dialects/llmc/IR/LlmcTypes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def Llmc_Tensor : RankedTensorOf<[AnyType]>;
def Llmc_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Llmc_IndexTensor : RankedTensorOf<[AnySignlessInteger]>;
def Llmc_BoolTensor : RankedTensorOf<[I1]>;
// A linear-layer weight: real-valued [out, in], or quantized.
def Llmc_Weight : AnyTypeOf<[Llmc_FloatTensor, Llmc_QWeightType]>;

// Ops whose result type follows from operands and attributes. Declared result
// types are checked against the inferred ones (see isCompatibleReturnTypes:
// a declared dimension may name what inference leaves unnamed).
class Llmc_InferredOp<string mnemonic, list<Trait> traits = [],
                      code extraDefinitions = "">
    : Llmc_Op<mnemonic, !listconcat(traits,
        [Pure, InferTypeOpAdaptorWithIsCompatible])> {
  let extraClassDefinition = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange declared) {
      return ::llmc::areCompatibleResultTypes(inferred, declared);
    }
  }] # extraDefinitions;
}

include "dialects/llmc/IR/LlmcPrimitiveOps.td"
include "dialects/llmc/IR/LlmcTransformerOps.td"
include "dialects/llmc/IR/LlmcCacheOps.td"
include "dialects/llmc/IR/LlmcParallelOps.td"

#endif // LLMC_OPS_TD
