//===- LlmcAttrs.td - attributes of the llmc dialect -------*- tablegen -*-===//

#ifndef LLMC_ATTRS_TD
#define LLMC_ATTRS_TD

include "dialects/llmc/IR/LlmcBase.td"
include "mlir/IR/TensorEncoding.td"

def Llmc_DimsAttr : AttrDef<Llmc_Dialect, "Dims",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let mnemonic = "dims";
  let summary = "names of a tensor's dynamic dimensions";
  let description = [{
    A tensor encoding that names each dynamic (`?`) dimension of a ranked
    tensor, in order: `tensor<?x?x64xf32, #llmc.dims<batch, sequence>>`.
    Two dimensions with the same name have the same extent at run time. A
    dimension whose extent is dynamic but not known to equal any other is
    written `?`. At least one name is required: a tensor whose dynamic
    dimensions are all unnamed carries no encoding.
  }];
  // An empty string stands for an unnamed dimension.
  let parameters = (ins ArrayRefParameter<"::mlir::StringAttr">:$names);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // LLMC_ATTRS_TD
