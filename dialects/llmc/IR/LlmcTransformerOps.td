//===- LlmcTransformerOps.td - transformer-level ops -------*- tablegen -*-===//
//
// The ops optimization passes reason about: quantization rewrites the weights
// of `linear`, `gated_mlp` and `lm_head`; head pruning and the KV-cache
// passes rewrite `attention` and `rope`. Activations use the [batch, sequence,
// heads, head_dim] layout for `rope` and `attention`.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TRANSFORMER_OPS_TD
#define LLMC_TRANSFORMER_OPS_TD

def Llmc_EmbeddingOp : Llmc_InferredOp<"embedding"> {
  let summary = "look up token embeddings: table [vocab, dim], ids [...]";
  let arguments = (ins Llmc_FloatTensor:$table, Llmc_IndexTensor:$ids);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` functional-type(operands, results)
  }];
}

def Llmc_LinearOp : Llmc_InferredOp<"linear"> {
  let summary = "y = x W^T + b, W is [out_features, in_features]";
  let description = [{
    The weight is a real-valued `[out, in]` tensor or a `!llmc.qweight`;
    quantization passes change only its type. The bias, when present, is
    `[out]`.
  }];
  let arguments = (ins Llmc_FloatTensor:$input, Llmc_Weight:$weight,
                       Optional<Llmc_FloatTensor>:$bias);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Llmc_LmHeadOp : Llmc_InferredOp<"lm_head"> {
  let summary = "final projection to vocabulary logits: [..., dim] -> [..., vocab]";
  let description = [{
    A bias-free linear kept distinct so that passes can treat it apart (for
    example compute it for the last position only, or leave it unquantized).
    The weight may be the embedding table itself (tied weights).
  }];
  let arguments = (ins Llmc_FloatTensor:$input, Llmc_Weight:$weight);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
}

def Llmc_RmsNormOp : Llmc_Op<"rms_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "x / sqrt(mean(x^2, last axis) + epsilon) * weight";
  let arguments = (ins Llmc_FloatTensor:$input, Llmc_FloatTensor:$weight,
                       F32Attr:$epsilon);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `epsilon` $epsilon attr-dict `:`
    type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Llmc_LayerNormOp : Llmc_Op<"layer_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "(x - mean) / sqrt(var + epsilon) * weight + bias, last axis";
  let arguments = (ins Llmc_FloatTensor:$input, Llmc_FloatTensor:$weight,
                       Optional<Llmc_FloatTensor>:$bias, F32Attr:$epsilon);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `epsilon` $epsilon attr-dict `:`
    type($input) `,` type($weight) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

def Llmc_RopeOp : Llmc_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>,
                                    AllTypesMatch<["cos", "sin"]>]> {
  let summary = "rotary position embedding from cos/sin tables";
  let description = [{
    `input` is [batch, sequence, heads, head_dim]; `cos` and `sin` are
    [max_positions, rotary_dim / 2] tables (so scaled variants need no new
    op); `positions` ([sequence] or [batch, sequence]) index the tables. The
    first `rotary_dim` features of each head rotate, in pairs chosen by
    `mode`; the rest pass through.
  }];
  let arguments = (ins Llmc_FloatTensor:$input, Llmc_FloatTensor:$cos,
                       Llmc_FloatTensor:$sin, Llmc_IndexTensor:$positions,
                       Llmc_RopeMode:$mode);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $mode $input `,` $cos `,` $sin `,` $positions attr-dict `:`
    type($input) `,` type($cos) `,` type($positions)
  }];
  let hasVerifier = 1;
}

def Llmc_AttentionOp : Llmc_InferredOp<"attention", [AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention, optionally causal, GQA-aware";
  let description = [{
    `query` is [batch, sequence, q_heads, head_dim]; `key` and `value` are
    [batch, kv_sequence, kv_heads, head_dim] with q_heads a multiple of
    kv_heads (grouped-query attention: query head h reads kv head
    h / (q_heads / kv_heads)). With `past_key`/`past_value`
    ([batch, past, kv_heads, head_dim]) the keys are the past ones followed
    by the new ones. `causal`: query i sees keys up to past + i. `key_mask`
    ([batch, past + kv_sequence], integer or i1; the attention_mask input
    of Hugging Face exports) hides the keys where it is 0 (padding).
    `window` (causal only): query i sees only the last `window` keys up to
    its own, past + i - window + 1 .. past + i (Mistral's, Gemma 2's local
    layers' sliding window). `scale` defaults to 1/sqrt(head_dim).
    `softcap` c: the scaled scores s become tanh(s / c) * c before the
    softmax (Gemma 2's attention logit soft-capping).
  }];
  let arguments = (ins Llmc_FloatTensor:$query, Llmc_FloatTensor:$key,
                       Llmc_FloatTensor:$value,
                       Optional<Llmc_FloatTensor>:$past_key,
                       Optional<Llmc_FloatTensor>:$past_value,
                       Optional<Llmc_Tensor>:$key_mask,
                       UnitAttr:$causal, OptionalAttr<I64Attr>:$window,
                       OptionalAttr<F32Attr>:$scale,
                       OptionalAttr<F32Attr>:$softcap);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`past` `(` $past_key^ `,` $past_value `)`)?
    (`key_mask` `(` $key_mask^ `)`)?
    (`causal` $causal^)? (`window` $window^)? (`scale` $scale^)?
    (`softcap` $softcap^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Llmc_GatedMlpOp : Llmc_Op<"gated_mlp",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "down(act(gate(x)) * up(x)): SwiGLU and GeGLU feed-forward";
  let description = [{
    `gate` and `up` are [hidden, dim] weights, `down` is [dim, hidden]; each
    may be quantized.
  }];
  let arguments = (ins Llmc_FloatTensor:$input, Llmc_Weight:$gate,
                       Llmc_Weight:$up, Llmc_Weight:$down,
                       Llmc_Activation:$activation);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $activation $input `,` $gate `,` $up `,` $down attr-dict `:`
    type($input) `,` type($gate) `,` type($up) `,` type($down)
  }];
  let hasVerifier = 1;
}

def Llmc_MlpOp : Llmc_Op<"mlp",
    [Pure, AllTypesMatch<["input", "result"]>, AttrSizedOperandSegments]> {
  let summary = "down(act(up(x) + up_bias)) + down_bias: GPT-2's feed-forward";
  let description = [{
    `up` is [hidden, dim] and `down` [dim, hidden]; each may be quantized.
    The biases, [hidden] and [dim], come together or not at all.
  }];
  let arguments = (ins Llmc_FloatTensor:$input, Llmc_Weight:$up,
                       Llmc_Weight:$down,
                       Optional<Llmc_FloatTensor>:$up_bias,
                       Optional<Llmc_FloatTensor>:$down_bias,
                       Llmc_Activation:$activation);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $activation $input `,` $up `,` $down
    (`biases` `(` $up_bias^ `,` $down_bias `)`)? attr-dict `:`
    type($input) `,` type($up) `,` type($down)
    (`,` type($up_bias)^ `,` type($down_bias))?
  }];
  let hasVerifier = 1;
}

def Llmc_SiluOp : Llmc_UnaryOp<"silu"> {
  let summary = "x * sigmoid(x)";
}

def Llmc_GeluOp : Llmc_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit, exact (erf) or tanh approximation";
  let arguments = (ins Llmc_FloatTensor:$input, UnitAttr:$tanh);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = "$input (`tanh` $tanh^)? attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Quantized weights
//===----------------------------------------------------------------------===//

def Llmc_QConstantOp : Llmc_Op<"qconstant", [Pure]> {
  let summary = "a quantized weight: codes, scales and optional zero points";
  let description = [{
    The three tensors must have exactly the types the result's
    `!llmc.qweight` implies: codes `[out, in] x storage`, scales and zero
    points `[rows, groups]` (see the type).
  }];
  let arguments = (ins ElementsAttr:$data, ElementsAttr:$scales,
                       OptionalAttr<ElementsAttr>:$zeros);
  let results = (outs Llmc_QWeightType:$result);
  let assemblyFormat = [{
    $data `scales` $scales (`zeros` $zeros^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Llmc_DequantizeOp : Llmc_Op<"dequantize", [Pure]> {
  let summary = "expand a quantized weight to a real-valued [out, in] tensor";
  let arguments = (ins Llmc_QWeightType:$input);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

#endif // LLMC_TRANSFORMER_OPS_TD
