//===- Passes.td - every llmc pass -------------------------*- tablegen -*-===//
//
// One entry per pass; the pass lives in one file named after it, under the
// folder of its concern (import/, quant/, prune/, kvcache/, ...), and its lit
// test is test/passes/<concern>/<flag-without-llmc->.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_TD
#define LLMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def Cleanup : Pass<"llmc-cleanup"> {
  let summary = "Fold, canonicalize, deduplicate and drop dead llmc IR";
  let description = [{
    The clean-up run after import and between rewriting passes: applies every
    op folder and canonicalization pattern of the loaded dialects to a fixed
    point (which folds constant arithmetic, identity reshapes/transposes/casts
    and chains of reshapes and transposes, and erases unused side-effect-free
    ops), then eliminates common subexpressions.
  }];
  let options = [
    Option<"maxIterations", "max-iterations", "int64_t", "10",
           "Limit on greedy rewrite sweeps; fail if not converged (-1: none)">,
    Option<"cse", "cse", "bool", "true",
           "Eliminate common subexpressions after folding">,
  ];
}

def FoldShapes : Pass<"llmc-fold-shapes", "mlir::func::FuncOp"> {
  let summary = "Turn exporter shape arithmetic into static and symbolic dimensions";
  let description = [{
    Evaluates the shape computations an ONNX export carries (Shape, Gather,
    Concat, Unsqueeze, arithmetic and Where(Equal) on shapes; see
    ShapeValues.h) and replaces `dynamic_reshape`, `dynamic_expand`,
    `dynamic_slice`, `range` and `constant_of_shape` by their static forms,
    whose types name the symbolic dimensions (`batch`, `sequence`). Types
    are then refined forward through the graph, so every op sees the names,
    and the function signature is updated. Repeats until nothing changes;
    the dead shape arithmetic is erased. `range(past, past + sequence)`
    (named extents) becomes `iota + past`. Fails, naming the op, when a
    shape computation cannot be folded (unless allow-dynamic); reads of
    symbolic extents that feed data (a cache's past length in positions)
    stay as `shape_of`, which runs.
  }];
  let options = [
    Option<"allowDynamic", "allow-dynamic", "bool", "false",
           "Keep shape computations that cannot be folded instead of failing">,
  ];
  let dependentDialects = ["llmc::LlmcDialect"];
}

def Raise : Pass<"llmc-raise", "mlir::func::FuncOp"> {
  let summary = "Raise primitive-op patterns of exporters to transformer ops";
  let description = [{
    Recognises what exporters emit for transformer building blocks and
    replaces it by the llmc transformer op the optimization passes reason
    about. Pattern families, one file each under passes/import/raise/:
    activations (SiLU as x * sigmoid(x), exact GELU with Erf), normalization
    (RMSNorm from Pow/ReduceMean/Add/Sqrt/Div/Mul in its exporter variants),
    projections (MatMul with a constant weight, plus a constant bias, to
    `linear`; a constant-table Gather to `embedding`; the final projection to
    `lm_head`) and MLPs (`gated_mlp` from the SwiGLU/GeGLU linears). A node
    that matches no pattern stays a primitive op.

    RoPE whose cos/sin the graph computes from positions (inverse
    frequencies times positions, as Hugging Face models do) becomes
    `llmc.rope` over tables computed here for `max-positions` positions.

    An attention's mask is raised only once it is proven to compute
    causal attention (optionally with the attention_mask input's padding)
    for every length up to `max-positions`: it is evaluated at small
    extents in full, and at `max-positions` keys on the rows where a
    threshold of its computation would show. An attention that is
    recognised but not raised keeps the reason in an `llmc.unraised`
    attribute on its Softmax, which llmc-check-raised reports.
  }];
  let options = [
    Option<"maxPositions", "max-positions", "int64_t", "4096",
           "The longest sequence the raised ops serve: rows of the cos/sin "
           "tables built for computed RoPE, and the length up to which "
           "masks are proven">,
    Option<"explain", "explain", "bool", "false",
           "Report as remarks why each pattern did not apply to an op "
           "(its notifyMatchFailure reason)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect"];
}

def CheckRaised : Pass<"llmc-check-raised", "mlir::func::FuncOp"> {
  let summary = "Report the transformer blocks recognised but not raised";
  let description = [{
    After raising: every attention on which the raising left an
    `llmc.unraised` reason (a block it recognised but could not raise)
    becomes an error naming its layer -- the number of attentions before
    it -- and the reason, e.g. "layer 1: attention not recognised: the
    query at position 9 sees key 0 ...". Without this, such a block would
    stay primitive ops, and the compile would fail later on a symptom (a
    shape computation left behind) or, worse, not at all. A RoPE or norm
    left with a reason ("rope not recognised: the angles read no
    positions ...") is a warning naming the attention it comes before: it
    still computes the same as primitive ops, and when the compile fails
    later the warning says where it started.
  }];
}

def KvCache : Pass<"llmc-kv-cache", "mlir::ModuleOp"> {
  let summary = "Derive prefill and decode entry points over a KV cache";
  let description = [{
    From a full-sequence causal graph `@main(ids [batch, sequence]) ->
    (logits, ...)` whose attention ops are raised (causal, no past), builds
    `@decode(ids [batch, sequence], cache, position) -> (results..., cache)`
    and `@prefill(ids, cache) -> (results..., cache)` (decode at position
    0), and removes `@main`. The cache is one tensor [layers, 2, batch,
    kv_heads, slots, head_dim], slots = max_seq; when every attention has a
    sliding window, slots = the largest window (at most max_seq) and the
    cache is a ring, position p in slot p % slots, whose size does not grow
    with the sequence. A window shorter than the slots is a ring of its own
    length inside a plane (`ring [offset, slots]` on the cache ops), packed
    first-fit with the other such rings, so a model mixing local and global
    layers needs fewer planes than layers (`layers` counts the planes,
    `attention_layers` the attentions). Planes hold as many kv heads as
    the layer with the most; layers with fewer (head-pruned ones) that take
    every slot share planes, packed first-fit by heads (`head h` on the
    cache ops: the layer's first kv head in its plane), so the cache
    shrinks with the heads removed. Before each attention, `kv_cache_read`
    gives the layer's past as the attention's past operands and
    `kv_cache_write` stores the new keys and values at the position; every
    Range over the sequence (RoPE and position-embedding positions) is
    offset by the position. The module records the layout in a
    `llmc.kv_cache` attribute.

    A graph that carries its own cache (optimum: past_key_values inputs,
    present outputs, attention_mask, position_ids; onnxruntime-genai: the
    same with masks and RoPE positions computed from attention_mask) is
    first made a full-sequence graph: its attentions drop their past and key
    mask, the presents leave the results, and positions become 0..s-1
    (those computed from attention_mask only after running them with a mask
    of ones gives past + 0..s-1); these entry points take no padding.

    A module whose @main has no attention is left as it is: it runs as
    @main, without a cache.

    With `block-tokens=B` (a power of two, at most max_seq) the cache is
    paged (docs/kv-cache.md): a pool of blocks [kv_blocks, layers, 2,
    kv_heads, B, head_dim] that the entry points read and write through a
    block table [batch, ceil(max_seq / B)] i32, each sequence at its own
    position: `@decode(ids, cache, positions [batch], blocks)` and
    `@prefill(ids, cache, positions, blocks)` (a prefill may start where a
    cached prefix ends). Layers keep no rings; a window limits what a query
    sees.
  }];
  let options = [
    Option<"maxSeq", "max-seq", "int64_t", "0",
           "Positions the cache holds (0: the model's RoPE table or position "
           "embedding rows, else 2048; more than those is an error)">,
    Option<"blockTokens", "block-tokens", "int64_t", "0",
           "Tokens a block of a paged cache holds (0: one contiguous cache)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def KvDtype : Pass<"llmc-kv-dtype", "mlir::ModuleOp"> {
  let summary = "Hold a paged KV cache's keys and values as f16, bf16, int8 or fp8";
  let description = [{
    After llmc-kv-cache with block-tokens (and after llmc-compute-type),
    gives the pool of @prefill and @decode the element type `dtype`: f32,
    f16 or bf16 (the kernels read and write it, computing in the model's
    type), or int8 or fp8 (f8E4M3FN) codes with a scale per (block,
    layer, keys or values, kv head), which the plane's one more row holds:
    the pool becomes [kv_blocks, layers, 2, kv_heads, block_tokens + 1,
    head_dim] (kernels/common/KvQuant.h: the scale covers the rows so far
    and rises, coding them again, when a row exceeds it). A contiguous
    cache keeps its type: the error names block-tokens. Nothing else
    changes: the attention still computes in its own type.
  }];
  let options = [
    Option<"dtype", "dtype", "std::string", "\"\"",
           "f32, f16, bf16, int8 or fp8 (empty: the compute type)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def KvEvict : Pass<"llmc-kv-evict", "mlir::ModuleOp"> {
  let summary = "Let a paged KV cache evict tokens for unbounded generation";
  let description = [{
    After llmc-kv-cache with block-tokens: records in the module's
    `llmc.kv_cache` how the runtime makes room when a sequence would hold
    more than `sinks` + `window` tokens (docs/kv-cache.md). `window`: it
    keeps the first `sinks` tokens and the most recent ones (StreamingLLM's
    attention sinks and window). The kept tokens move up to close the gap
    and RoPE sees positions within the cache, so the runtime rotates each
    moved key back by the positions it moved: the pass records the keys'
    RoPE (pairs, rotated features, and the cos/sin tables' first max_seq
    rows) from the llmc.rope every layer's written keys come from. Errors:
    no paged cache, window + sinks above the cache's max_seq, keys that do
    not come from one llmc.rope with shared tables (a model without RoPE,
    such as GPT-2's learned positions), tables scaled by an attention
    factor (cos^2 + sin^2 != 1), or layers that already attend in a
    sliding window.
  }];
  let options = [
    Option<"window", "window", "int64_t", "0",
           "Recent tokens a sequence keeps (0: no eviction)">,
    Option<"sinks", "sinks", "int64_t", "4",
           "First tokens a sequence keeps (attention sinks)">,
    Option<"policy", "policy", "std::string", "\"window\"",
           "window: sinks and the most recent tokens; h2o: the most recent "
           "window / 2 and the most attended others (CPU)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def EarlyExit : Pass<"llmc-early-exit", "mlir::ModuleOp"> {
  let summary = "Keep the first N transformer layers, then the final norm and lm_head";
  let description = [{
    Speculative decoding's self-draft (`llmc compile --draft
    self:layers=N`): the model's own first `layers` layers, its final norm
    and lm_head (early exit). Runs on the raised full-sequence @main: the
    residual stream entering layer N (the input of the norm before its
    attention) becomes the input of the final norm (the one before the
    lm_head), and what only the later layers computed is erased. The
    weights it keeps are the model's own attributes, so an artifact holding
    both stores them once. A pre-norm stack is expected (Llama, GPT-2: a
    norm before each attention and before the lm_head); `layers` beyond
    the model's is an error naming its count.
  }];
  let options = [
    Option<"layers", "layers", "int64_t", "0",
           "The layers kept (1 up to the model's)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def ShardTensorParallel : Pass<"llmc-shard-tensor-parallel", "mlir::ModuleOp"> {
  let summary = "Keep one rank's share of every layer (Megatron's tensor parallelism)";
  let description = [{
    Runs on the entry points after the KV-cache pass and quantization, once
    per rank: rank `rank` of `ranks` keeps its share and gets the
    communication that joins the shares. Each attention keeps its query
    heads `rank * H / ranks ..` (q, k and v projections split by rows,
    GPT-2's fused QKV by each piece's rows; RoPE and the attention on
    fewer heads) and the KV heads they read: its share when the ranks
    divide them, the one its queries' group reads when the ranks are a
    multiple of them (vLLM's replication), else one per query head; the
    KV cache holds those, its layers placed again as llmc-kv-cache places
    them (a head-pruned model's layers keep different numbers, and share
    planes). The output projection keeps the heads' input
    columns and its sum over the ranks follows (`llmc.all_reduce`); so do
    `gated_mlp` and `mlp`, each keeping its share of the hidden features
    (gate and up rows, down columns; f32 and f16 ones padded with zeros to
    a multiple of the ranks, which adds act(0) * 0 = 0). A row-parallel bias stays on rank 0
    only, so it is added once. The lm_head keeps its share of the
    vocabulary (padded with zero rows to a multiple of the ranks), and the
    ranks' logits are joined (`llmc.all_gather`) and the padding cut off:
    every rank returns the whole logits, as one rank would. The embedding
    table keeps the same share of the vocabulary: ids outside it give zero
    rows, and the sum over the ranks is every id's row. Quantized
    weights are cut along their codes, scales and zero points: the rank's
    values are the unsharded ones, and a cut through a scale group is an
    error. Head counts the ranks do not divide are errors naming them.
  }];
  let options = [
    Option<"ranks", "ranks", "int64_t", "2",
           "The tensor-parallel ranks (2 or more)">,
    Option<"rank", "rank", "int64_t", "0", "This rank (0 up to ranks - 1)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def CutPipelineStage : Pass<"llmc-cut-pipeline-stage", "mlir::ModuleOp"> {
  let summary = "Keep one pipeline stage's layers (pipeline parallelism)";
  let description = [{
    Runs on the entry points after the KV-cache pass, quantization and
    tensor-parallel sharding, once per stage. The layers (one per
    attention) are cut into `stages` contiguous ranges whose weight bytes
    are as even as they can be (the largest stage as small as possible;
    the embedding counts on the first stage, the final norm and lm_head on
    the last). A cut lies where one value, the residual stream, crosses
    from one layer to the next; values the stage can compute again (the
    constants, the positions, integer shape arithmetic) are kept where
    they are used. Stage `stage` keeps its layers: it starts from
    `llmc.recv` of the previous stage's hidden state (the first stage from
    the embedding), and ends with `llmc.send` to the next stage (the last
    stage with the final norm and the logits). A stage other than the last
    returns its cache only: the runtime passes the last stage's logits to
    the others. Each stage's KV cache holds its layers' planes only. The
    module's `llmc.pipeline` records the stage's layers. More stages than
    layers, or a layer boundary that more than one value crosses, are
    errors naming the numbers.
  }];
  let options = [
    Option<"stages", "stages", "int64_t", "2",
           "The pipeline stages (2 or more)">,
    Option<"stage", "stage", "int64_t", "0", "This stage (0 up to stages - 1)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def SpeculativeVerify : Pass<"llmc-speculative-verify", "mlir::ModuleOp"> {
  let summary = "Add @verify: score drafted tokens against the cache in one call";
  let description = [{
    Speculative decoding's target call. From `@decode(ids, cache, position)`
    (llmc-kv-cache) builds `@verify(ids [batch, tokens], cache, positions
    [batch]) -> (logits [batch, tokens, vocab], ..., cache)`: the last
    accepted token and up to `draft-tokens` drafted ones, scored in one call
    against each sequence's cache from its own position (sequences accept
    different numbers of drafted tokens), their keys and values written at
    those positions and every position's logits returned. A rejected
    token's keys and values need no undoing: the next call starts at the
    sequence's accepted position and overwrites their slots. The cache ops
    take the positions as they are; the sequence's positions (`iota +
    position`: RoPE's, a learned position embedding's) become [batch,
    tokens] (`positions[b] + t`), and the ops that read them take the new
    shape where their result types follow (an embedding of them, the add
    into the token embeddings); anything else reading the position is an
    error naming it. The ids' `llmc.max_tokens` (draft-tokens + 1) bounds
    the call's tokens, so memory is planned for that many, and the module
    records `llmc.speculative = {draft_tokens}`. A paged cache's @decode
    (`positions` [batch] and block tables) scores drafts as it is: the pass
    adds no @verify there and records the attribute only; the runtime cuts
    a sequence's rejected tokens from its block table.
  }];
  let options = [
    Option<"draftTokens", "draft-tokens", "int64_t", "8",
           "The most drafted tokens one call verifies (it takes one more: "
           "the last accepted token)">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def FoldAndRaise : Pass<"llmc-fold-and-raise", "mlir::ModuleOp"> {
  let summary = "Alternate shape folding and raising until neither changes the IR";
  let description = [{
    Exporters compute attention masks from the sequence length at run time,
    and the shapes after each attention of such a graph fold only once that
    attention is raised (its mask gone), which in turn lets the next layer's
    attention raise. This runs llmc-fold-shapes (allow-dynamic), llmc-cleanup,
    llmc-raise and llmc-cleanup in rounds until a round leaves the IR as it
    found it (at most max-rounds).
  }];
  let options = [
    Option<"maxRounds", "max-rounds", "int64_t", "32",
           "Give up (with an error) after this many rounds">,
    Option<"maxPositions", "max-positions", "int64_t", "4096",
           "Passed to llmc-raise">,
    Option<"explain", "explain", "bool", "false",
           "Once the rounds settle, run llmc-raise once more with explain: "
           "why each pattern did not apply to what is left">,
  ];
  let dependentDialects = ["llmc::LlmcDialect", "mlir::func::FuncDialect"];
}

def ComputeType : Pass<"llmc-compute-type", "mlir::ModuleOp"> {
  let summary = "Compute every float tensor in one element type";
  let description = [{
    Every floating-point tensor becomes `element-type` (arguments, results,
    the KV cache included) and float weights are converted once at compile
    time. The CPU target computes in f32, so an fp16 export runs with fp32
    arithmetic (its logits agree with an fp16 reference to within fp16's
    own rounding); the CUDA target computes in f16 or bf16 (after
    quantization, which works on f32) or f32 (`llmc compile --dtype`).
    Casts that become no-ops fold away in llmc-cleanup; an explicit cast to
    a type with fewer mantissa bits than `element-type` keeps its rounding
    (a cast to that type and back). Scalar attributes (epsilon, scales)
    stay as they are.
  }];
  let options = [
    Option<"elementType", "element-type", "llmc::ComputeElement",
           "llmc::ComputeElement::f32", "The element type to compute in",
           [{llmc::computeElementValues()}]>,
  ];
}

def QuantizeInt8 : Pass<"llmc-quantize-int8", "mlir::ModuleOp"> {
  let summary = "Quantize linear weights to int8, per output channel";
  let description = [{
    Weight-only INT8: every weight of `linear`, `lm_head`, `gated_mlp` and
    `mlp` (a constant, or the transpose of one) becomes an
    `!llmc.qweight<N x K x si8, per_channel, scale f32>`: each output row's
    scale is its largest magnitude over 127 and its codes round to nearest
    (symmetric, no zero point). Weights named by `skip` stay as they are;
    a weight that is already quantized is an error.

    Layer names, which `skip` entries match as substrings: `lm_head` for
    the final projection, else the op's ONNX node name, with ` gate`,
    ` up` or ` down` after it for a feed-forward op's weights.

    With `activations=dynamic` (W8A8), the inputs of those weights are
    rounded to int8 too, each row (token) with its own scale, its largest
    magnitude / 127, as an int8 GEMM on the GPU takes them: the ops carry
    `llmc.int8_act_dynamic`, or for a feed-forward op's down projection
    `llmc.int8_hidden_act_dynamic`. The CPU kernels emulate the rounding
    (the products stay f32); the CUDA runtime multiplies the codes in
    int32 with cuBLASLt.
  }];
  let options = [
    ListOption<"skip", "skip", "std::string",
               "Layers to leave unquantized (substrings of their names)">,
    Option<"activations", "activations", "llmc::ActivationRounding",
           "llmc::ActivationRounding::none",
           "Round activations to int8 too",
           [{llmc::int8ActivationValues()}]>,
  ];
  let dependentDialects = ["llmc::LlmcDialect"];
}

// The options every calibration-driven pass reads its data with
// (passes/quant/Statistics.h): the pass runs the model on calib where it
// stands in the pipeline, or reads what llmc calibrate saw there (stats).
defvar calibrationOptions = [
  Option<"calib", "calib", "std::string", "",
         "Calibration data: token-id sequences, one per line (or a text, "
         "with calib-tokenizer)">,
  Option<"calibTokenizer", "calib-tokenizer", "std::string", "",
         "Read calib as text (passages separated by blank lines) with "
         "this SentencePiece model">,
  Option<"stats", "stats", "std::string", "",
         "Or the statistics file llmc calibrate wrote (instead of calib)">,
];
// Calibration runs the model lowered to plan on llmc's runtime.
defvar calibrationDialects = ["llmc::LlmcDialect", "llmc::plan::PlanDialect",
                              "mlir::func::FuncDialect"];

def PruneHeads : Pass<"llmc-prune-heads", "mlir::ModuleOp"> {
  let summary = "Remove attention heads (query heads or whole KV groups) from a raised model";
  let description = [{
    Structured pruning of attention heads, on a raised model before
    `llmc-kv-cache` (the `after-raise` extension point). `unit` says what
    goes: `query` removes query heads and keeps every KV head (with
    grouped-query attention each KV group must lose as many query heads as
    the others); `group` removes whole KV groups with their query heads,
    so the layer's keys, values and KV cache shrink (with multi-head
    attention a group is one head).

    `heads` names the units: `layer:unit,unit;layer:unit`, layers numbered
    0.. in the order of their attention ops, units (query heads or KV
    groups) 0.. within a layer. Or `ratio` R in [0, 1) removes that share
    of all the model's units, the least important first by `score`
    (passes/prune/HeadScores.h: `norm`, `ablation` or `random` with
    `seed`), measured over `calib` on llmc's own runtime; no layer keeps
    fewer than `min-per-layer` units, and `uniform` takes the same number
    from every layer. A remark gives the list the ranking chose.

    A removed head's rows of the query projection (and bias) go, and its
    columns of the output projection; a removed group's rows of the key
    and value projections (and biases) too; the head split, RoPE,
    attention and merge carry fewer heads. The result computes what the
    unpruned model computes with those heads' outputs zeroed before the
    output projection. The module records what went in
    `llmc.pruned_heads`.

    Errors (each naming the layer or head): malformed `heads`, a ratio
    outside [0, 1), both `heads` and `ratio`, a layer, head or group that
    does not exist, every head of a layer, unequal groups, a uniform count
    that does not divide evenly, a model that already has a KV cache or
    was pruned already, a layer whose projections are not projections of
    their own (fused QKV projections are not supported yet), a weight that
    is not an f32 constant.
  }];
  let options = !listconcat(calibrationOptions, [
    Option<"heads", "heads", "std::string", "\"\"",
           "The units to remove: layer:unit,unit;layer:unit">,
    Option<"unit", "unit", "std::string", "\"query\"",
           "query (query heads inside KV groups) or group (whole KV groups)">,
    Option<"ratio", "ratio", "double", "0.0",
           "The share of the model's units to remove, ranked by score">,
    Option<"score", "score", "std::string", "\"norm\"",
           "How ratio ranks units: norm, ablation or random">,
    Option<"seed", "seed", "uint64_t", "0", "The seed of score=random">,
    Option<"minPerLayer", "min-per-layer", "int64_t", "1",
           "The fewest units a layer keeps under ratio">,
    Option<"uniform", "uniform", "bool", "false",
           "Under ratio, the same number of units from every layer">,
  ]);
  let dependentDialects = calibrationDialects;
}

def QuantizeFp8 : Pass<"llmc-quantize-fp8", "mlir::ModuleOp"> {
  let summary = "Quantize linear weights to fp8 E4M3, per output channel";
  let description = [{
    Each output row of a weight (the same weights and names as
    llmc-quantize-int8) is scaled so that its largest magnitude is E4M3's
    largest finite value, 448, and rounded to the nearest E4M3 number:
    `!llmc.qweight<N x K x f8E4M3FN, per_channel, scale f32>`.

    With `activations`, the inputs of those weights are rounded to E4M3
    too, with one scale per tensor, as an fp8 GEMM on the GPU rounds them:
    `static` takes each input's largest magnitude over the calibration data
    / 448 (`calib`; `synthetic-calibration` in tests),
    `dynamic` the largest of each call's. The ops carry it as attributes the
    kernels read: `llmc.fp8_act_scale` (f32) or `llmc.fp8_act_dynamic`, and
    for a feed-forward op's down projection `llmc.fp8_hidden_act_scale` or
    `llmc.fp8_hidden_act_dynamic`. The CPU kernels emulate the rounding
    (the products stay f32).
  }];
  let options = !listconcat(calibrationOptions, [
    ListOption<"skip", "skip", "std::string",
               "Layers to leave unquantized (substrings of their names)">,
    Option<"activations", "activations", "llmc::ActivationRounding",
           "llmc::ActivationRounding::none",
           "Round activations to E4M3 too",
           [{llmc::fp8ActivationValues()}]>,
    Option<"syntheticCalibration", "synthetic-calibration", "int64_t", "0",
           "Tests only: this many random normal input rows per weight "
           "when no calibration data was given (activations=static)">,
  ]);
  let dependentDialects = calibrationDialects;
}

def QuantizeRtn : Pass<"llmc-quantize-rtn", "mlir::ModuleOp"> {
  let summary = "Quantize linear weights to 4 bits by rounding to nearest";
  let description = [{
    The round-to-nearest baseline of GPTQ and AWQ: every `group-size`
    consecutive inputs of an output row share an f16 scale and, with
    `zero-point`, a 4-bit zero point (asymmetric: the group's [min, max]
    maps onto 0..15: `ui4` codes); without, the scale maps the group's
    largest magnitude onto 7.5 (`si4` codes, -8..7). A weight whose input
    features the group size does not divide is kept in int8 per output
    channel (llmc-quantize-int8's codes), or with `fallback=fp32` as it is,
    one warning naming them all; `fallback=error` makes it an error naming
    the first (so do GPTQ and AWQ).
    With `calib`, each weight's output error on the calibration inputs is
    recorded in `llmc.quant_errors`, as GPTQ and AWQ record theirs.
  }];
  let options = !listconcat(calibrationOptions, [
    Option<"groupSize", "group-size", "int64_t", "128",
           "Inputs sharing one scale (a multiple of 32)">,
    Option<"zeroPoint", "zero-point", "bool", "true",
           "Asymmetric groups with zero points">,
    Option<"fallback", "fallback", "std::string", "\"int8\"",
           "A weight whose input features the group size does not divide: "
           "int8 (per output channel), fp32 (left as it is) or error; one "
           "warning names those kept">,
    ListOption<"skip", "skip", "std::string",
               "Layers to leave unquantized (substrings of their names)">,
  ]);
  let dependentDialects = calibrationDialects;
}

def QuantizeGptq : Pass<"llmc-quantize-gptq", "mlir::ModuleOp"> {
  let summary = "Quantize linear weights to 4 bits with GPTQ";
  let description = [{
    GPTQ (Frantar et al. 2022; passes/quant/Gptq.h): each weight's columns
    are rounded one at a time in groups as llmc-quantize-rtn rounds them,
    and each column's error is compensated on the columns not yet rounded
    through the inverse Hessian of the layer's calibration inputs. The
    inputs' statistics come from running the model, as it stands before
    this pass, over `calib` on llmc's CPU runtime (passes/quant/
    Statistics.h); `synthetic-calibration` gives each weight that many rows
    of random normal inputs instead (for tests). Types, names, `skip` and errors are those of llmc-quantize-rtn.
  }];
  let options = !listconcat(calibrationOptions, [
    Option<"groupSize", "group-size", "int64_t", "128",
           "Inputs sharing one scale (a multiple of 32)">,
    Option<"zeroPoint", "zero-point", "bool", "true",
           "Asymmetric groups with zero points">,
    Option<"actOrder", "act-order", "bool", "false",
           "Round columns in order of decreasing Hessian diagonal">,
    Option<"damp", "damp", "double", "0.01",
           "Fraction of the mean Hessian diagonal added to it">,
    Option<"fallback", "fallback", "std::string", "\"int8\"",
           "A weight whose input features the group size does not divide: "
           "int8 (per output channel), fp32 (left as it is) or error; one "
           "warning names those kept">,
    ListOption<"skip", "skip", "std::string",
               "Layers to leave unquantized (substrings of their names)">,
    Option<"syntheticCalibration", "synthetic-calibration", "int64_t", "0",
           "Tests only: this many random normal input rows per weight "
           "when no calibration data was given">,
  ]);
  let dependentDialects = calibrationDialects;
}

def QuantizeAwq : Pass<"llmc-quantize-awq", "mlir::ModuleOp"> {
  let summary = "Quantize linear weights to 4 bits with AWQ";
  let description = [{
    AWQ (Lin et al. 2023; passes/quant/Awq.h). Weights that share an input
    made by a normalization (q/k/v after the attention norm, gate/up after
    the MLP norm, the lm_head after the final norm) get per-input-channel
    scales from the calibration inputs, and the normalization's weight (and
    bias) is divided by them; a gated MLP's down projection gets its own,
    divided out of the up projection's rows. Groups whose input also
    reaches an op that is not quantized keep scale 1. Every weight is then
    clipped group by group and rounded as llmc-quantize-rtn rounds. The
    output errors recorded in llmc.quant_errors are measured on the scaled
    inputs against the scaled weights. Calibration as llmc-quantize-gptq.
  }];
  let options = !listconcat(calibrationOptions, [
    Option<"groupSize", "group-size", "int64_t", "128",
           "Inputs sharing one scale (a multiple of 32)">,
    Option<"zeroPoint", "zero-point", "bool", "true",
           "Asymmetric groups with zero points">,
    Option<"fallback", "fallback", "std::string", "\"int8\"",
           "A weight whose input features the group size does not divide: "
           "int8 (per output channel), fp32 (left as it is) or error; one "
           "warning names those kept">,
    ListOption<"skip", "skip", "std::string",
               "Layers to leave unquantized (substrings of their names)">,
    Option<"syntheticCalibration", "synthetic-calibration", "int64_t", "0",
           "Tests only: this many random normal input rows per weight "
           "when no calibration data was given">,
  ]);
  let dependentDialects = calibrationDialects;
}

def LowerToPlan : Pass<"llmc-lower-to-plan", "mlir::ModuleOp"> {
  let summary = "Lower llmc graph ops to plan kernel calls";
  let description = [{
    Turns each entry point into what a backend executes. Weights that feed a
    transpose are stored transposed (pre-packed for the kernels' [out, in]
    layout, one copy however many entry points read it); each layer's
    `kv_cache_read` + `attention` + `kv_cache_write` becomes one
    `cached_attention` call that appends to the cache in place; reshapes
    become `plan.view`s; every other op a `plan.call` of the kernel of its
    name (a kernel of the contract, runtime/format/KernelContract.h), its
    attributes as parameters. Expects `llmc-kv-cache` to have run.

    A dialect conversion: every llmc op but the weights (`constant`,
    `qconstant`) is illegal after it, and an op that does not lower is an
    error at that op with the reason its patterns gave (no kernel of that
    name, an attribute with no parameter form, attention without a cache).
  }];
  let dependentDialects = ["llmc::plan::PlanDialect"];
}

def FuseAddNorm : Pass<"plan-fuse-add-norm", "mlir::ModuleOp"> {
  let summary = "Fuse a residual add into the normalization that reads it";
  let description = [{
    A transformer block ends `h = x + f(x)` and the next begins `norm(h)`:
    two passes over the activations become one `add_rms_norm` /
    `add_layer_norm` call that returns both the sum (still the residual
    stream) and its normalization, each row normalized while its sum is in
    cache. Only adds without broadcasting of one float type fuse, and
    only into the first norm that reads the sum: with a parallel residual
    (GPT-NeoX, Falcon 40B) a second norm reads the fused call's sum.
  }];
}

def FuseSiblingLinears : Pass<"plan-fuse-sibling-linears", "mlir::ModuleOp"> {
  let summary = "Fuse the linears that read one input into one kernel call";
  let description = [{
    Attention's q, k and v projections all read the normalized hidden state:
    `linear` calls with the same input, the same parameters and all with or
    all without a bias become one `linears` call (operands: the input, the
    weights, then the biases; one result per linear). The runtime splits
    their output features together over its threads, one dispatch instead
    of three, each thread reading its rows of every weight. Results are
    those of the separate calls, bit for bit.
  }];
}

def FuseElementwise : Pass<"plan-fuse-elementwise", "mlir::ModuleOp"> {
  let summary = "Fuse chains of float elementwise calls into one kernel";
  let description = [{
    A call of an elementwise kernel (add, mul, exp, tanh, ...) on float
    tensors of one element type whose result only feeds another such call of
    the same shape is folded into it:
    the pair becomes one `fused_elementwise` call whose `program` parameter
    (runtime/format/ElementwiseProgram.h) the runtime interprets block by
    block, so the intermediate never goes to memory. Operands must have the
    result's shape or be single elements; results read twice stay apart.
  }];
}

def OutlineCudaKernels : Pass<"plan-outline-cuda-kernels", "mlir::ModuleOp"> {
  let summary = "Number the fused kernels the CUDA code generator writes";
  let description = [{
    For the CUDA target, which has no kernel of its own for each elementwise
    op: a lone float elementwise call (one plan-fuse-elementwise could not
    chain) first becomes a one-instruction `fused_elementwise`. Then every
    `fused_elementwise` call gets the parameter
    `cuda_kernel`, the index of the generated CUDA function that computes
    it (`llmc_fused_<index>` in the artifact's fatbin). Calls with the same
    program, element types and single-element operands share one function.
    The code generator (plan-cuda-codegen, `llmc-translate
    --plan-to-cuda`) writes one function per index. Indices start at
    `first-kernel`: a draft model's plan, written into the target's artifact
    with its own fatbin, numbers its functions after the target's, so every
    name is one function of the artifact.
  }];
  let options = [
    Option<"firstKernel", "first-kernel", "int64_t", "0",
           "The index of the first function">,
  ];
}

def PlanCudaGemms : Pass<"plan-cuda-gemms", "mlir::ModuleOp"> {
  let summary = "Decide the cuBLASLt call of each GEMM of a CUDA plan";
  let description = [{
    For the CUDA target: every call holding GEMMs (`linear`, `linears`,
    `lm_head`, `gated_mlp`, `mlp`) gets
    `cublaslt_epilogues`, one entry per GEMM in the order the kernel runs
    them (runtime/format/GemmPlan.h: 0 none, 1 bias, 2 gelu, 3 gelu and
    bias), and `cublaslt_compute` (0: f32 accumulation). A bias becomes
    the epilogue of its GEMM; an mlp whose activation is gelu_tanh (2) gets
    it from the up projection's epilogue, cuBLASLt's GELU being the tanh
    approximation, so no separate activation kernel runs. A quantized
    weight's entry is unused: the weight-only kernels take it, bias and
    all (and an mlp with a quantized up projection keeps its activation
    kernel).
  }];
}

def CudaCodegen : Pass<"plan-cuda-codegen", "mlir::ModuleOp"> {
  let summary = "Compile the plan's generated CUDA kernels into a fatbin";
  let description = [{
    The CUDA target's last step, after plan-outline-cuda-kernels: writes
    the CUDA C++ of every numbered `fused_elementwise` call
    (passes/codegen/cuda/EmitCudaSource.h) and compiles it with nvcc for
    each architecture of `target` (cuda:sm_80,sm_90) into one fatbin
    (passes/codegen/cuda/CompileFatbin.h). The module records the target
    in `llmc.target` and, when there are generated kernels, the artifact
    sections `llmc.sections = {"cuda fatbin" = ..., "cuda source" =
    ...}`, which the artifact writer copies as they are. A plan without
    generated kernels runs nvcc not at all.
  }];
  let options = [
    Option<"target", "target", "std::string", "\"cuda:sm_80\"",
           "The CUDA target: cuda: and its architectures">,
    Option<"nvcc", "nvcc", "std::string", "",
           "The nvcc to run (default: nvcc on the PATH, else "
           "/usr/local/cuda/bin/nvcc)">,
  ];
}

def PlanMemory : Pass<"plan-memory", "mlir::ModuleOp"> {
  let summary = "Give every planned buffer an offset in one arena per entry point";
  let description = [{
    Sizes each call result for the largest batch and sequence (batch up to
    `max-batch`; sequence and past up to the `llmc.kv_cache` max_seq, else
    `max-seq`), computes its lifetime from definition to last use (through
    views and in-place results; entry results live to the end) and places
    the largest first at the lowest offset clear of the buffers alive with
    it. Records `offsets` on each call and, on each entry point,
    `plan.arena_bytes` (the peak activation memory) and the bounds assumed,
    `plan.max_batch` and `plan.max_seq`. With `kernel-scratch`, a call
    whose kernel has a scratch rule in the kernel contract
    (runtime/format/KernelContract.h) also gets that many bytes alive for
    its own duration, recorded as `scratch = [offset, bytes]`, and the
    largest scratch a worker thread needs (`plan.worker_scratch_bytes` on
    the entry point, which the runtime gives each thread of its pool), so
    the arena and that per-thread figure are all the memory the kernels
    use.
  }];
  let options = [
    Option<"maxBatch", "max-batch", "int64_t", "1",
           "Sequences in one call">,
    Option<"maxSeqOption", "max-seq", "int64_t", "2048",
           "Tokens in one sequence when the module has no llmc.kv_cache">,
    Option<"kernelScratch", "kernel-scratch", "bool", "true",
           "Plan the CPU kernels' scratch (the CUDA kernels keep their own)">,
  ];
}

#endif // LLMC_PASSES_TD
