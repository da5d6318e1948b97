//===- LlmcParallelOps.td - communication between ranks ----*- tablegen -*-===//
//
// What sharding (passes/parallel/) leaves in each rank's graph: tensor
// parallelism's collectives over the ranks of one pipeline stage, and
// pipeline parallelism's transfers of the hidden state between stages.
// Every rank runs these ops in the same order, so they are never removed,
// merged or moved past one another: each has effects on the communication
// resource, not only on its result.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PARALLEL_OPS_TD
#define LLMC_PARALLEL_OPS_TD

def Llmc_CommunicationResource
    : Resource<"::llmc::CommunicationResource">;
def Llmc_Communicates : MemoryEffects<[MemRead<Llmc_CommunicationResource>,
                                       MemWrite<Llmc_CommunicationResource>]>;

def Llmc_AllReduceOp : Llmc_Op<"all_reduce",
    [Llmc_Communicates, AllTypesMatch<["input", "result"]>]> {
  let summary = "the elementwise sum of a tensor over the stage's `ranks` ranks";
  let description = [{
    Tensor parallelism's reduction: after a row-parallel linear each rank
    holds a partial sum of the full result; every rank receives the total.

    ```mlir
    %h = llmc.all_reduce %partial ranks 2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
    ```
  }];
  let arguments = (ins Llmc_FloatTensor:$input, I64Attr:$ranks);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = "$input `ranks` $ranks attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Llmc_AllGatherOp : Llmc_Op<"all_gather", [Llmc_Communicates]> {
  let summary = "the stage's `ranks` tensors joined along `axis`, rank 0's first";
  let description = [{
    Each rank holds one slice (a vocabulary-parallel lm_head's logits, a
    column-parallel linear's outputs); every rank receives them all,
    joined along `axis` in rank order: the result's extent there is
    `ranks` times the input's.

    ```mlir
    %logits = llmc.all_gather %part axis 2 ranks 2
        : tensor<?x1x256xf32, #llmc.dims<batch>> -> tensor<?x1x512xf32, #llmc.dims<batch>>
    ```
  }];
  let arguments = (ins Llmc_FloatTensor:$input, I64Attr:$axis,
                       I64Attr:$ranks);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` $axis `ranks` $ranks attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Llmc_SendOp : Llmc_Op<"send", [Llmc_Communicates]> {
  let summary = "send a tensor to the same tensor-parallel rank of stage `stage`";
  let description = [{
    Pipeline parallelism: the last op of a stage's graph that is not the
    last stage sends its hidden state on; the receiving stage's graph
    starts with the matching `llmc.recv` of the same type.

    ```mlir
    llmc.send %h to stage 1 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
    ```
  }];
  let arguments = (ins Llmc_FloatTensor:$input, I64Attr:$stage);
  let assemblyFormat = "$input `to` `stage` $stage attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Llmc_RecvOp : Llmc_Op<"recv", [Llmc_Communicates]> {
  let summary = "receive a tensor from the same tensor-parallel rank of stage `stage`";
  let description = [{
    The result's type is what the sending stage's `llmc.send` sends; its
    symbolic extents (`batch`, `sequence`) are bound by the call, as the
    entry point's arguments' are.

    ```mlir
    %h = llmc.recv from stage 0 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
    ```
  }];
  let arguments = (ins I64Attr:$stage);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = "`from` `stage` $stage attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // LLMC_PARALLEL_OPS_TD
