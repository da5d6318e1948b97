//===- PlanOps.td - buffers and kernel calls below llmc ---*- tablegen -*-===//
//
// The plan is what a backend executes: a sequence of kernel calls on tensors
// that have been given storage. Lowering from llmc turns each graph op into
// a call of a named kernel of the target (docs/plan.md lists them), views
// into reshapes that move no data, and weights into constants laid out for
// the kernels; memory planning then gives every value produced by a call a
// byte offset in one arena per function.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PLAN_OPS_TD
#define LLMC_PLAN_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Plan_Dialect : Dialect {
  let name = "plan";
  let cppNamespace = "::llmc::plan";
  let summary = "Kernel calls on planned buffers";
  let description = [{
    Below the graph-level `llmc` dialect: what remains after fusion, weight
    pre-packing and KV-cache lowering, in the order the runtime runs it.
    Values keep tensor types (with their `#llmc.dims` symbolic extents), so
    the runtime can bind `batch`, `sequence` and `past` at each call; storage
    is given by attributes that memory planning (`plan-memory`) adds.
  }];
}

class Plan_Op<string mnemonic, list<Trait> traits = []>
    : Op<Plan_Dialect, mnemonic, traits>;

def Plan_CallOp : Plan_Op<"call"> {
  let summary = "a call of one named kernel of the target";
  let description = [{
    `kernel` names a kernel of the contract (runtime/format/KernelContract.h),
    which declares its operands, results and parameters; the verifier
    rejects an unknown kernel, a wrong operand or result count, and a
    missing, unknown or mistyped parameter. `params` are flags (unit),
    integers (enum cases by number), floats and integer lists. Each
    entry of `aliases` says which operand a result is written into in place
    (-1: fresh storage); memory planning gives the others an arena `offsets`
    entry (-1 for in-place results). An absent optional operand of the
    source op is listed in `absent` (operand positions counted as if present).
    `scratch` = [offset, bytes]: the arena bytes memory planning gave the
    kernel for the call's duration (the contract's scratch rule).

    ```mlir
    %y = plan.call "rms_norm"(%x, %w) {params = {epsilon = 1.0e-05 : f32}}
        : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>)
        -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
    ```
  }];
  let arguments = (ins StrAttr:$kernel, Variadic<AnyType>:$args,
                       DefaultValuedAttr<DictionaryAttr, "{}">:$params,
                       OptionalAttr<DenseI64ArrayAttr>:$aliases,
                       OptionalAttr<DenseI64ArrayAttr>:$absent,
                       OptionalAttr<DenseI64ArrayAttr>:$offsets,
                       OptionalAttr<DenseI64ArrayAttr>:$scratch);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $kernel `(` $args `)` attr-dict `:` functional-type($args, $results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Checks the kernel, the operand and result counts and the parameters
    /// against the kernel contract (runtime/format/KernelContract.h).
    ::llvm::LogicalResult verifyContract();
    /// The operand at each position of the kernel's operand list (absent
    /// operands counted), null where an optional operand is absent.
    ::llvm::SmallVector<::mlir::Value> getArgsByPosition();
  }];
}

def Plan_ViewOp : Plan_Op<"view", [Pure]> {
  let summary = "the same bytes under another shape (a reshape that moves nothing)";
  let arguments = (ins AnyRankedTensor:$source);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $source attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LLMC_PLAN_OPS_TD
