// Invalid transformer-layer IR is rejected with a located diagnostic.
// RUN: llmc-opt %s -split-input-file -verify-diagnostics

func.func @embedding_table(%t: tensor<512xf32>, %ids: tensor<4xi64>) {
  // expected-error @+2 {{table must be 2-D [vocab, dim], got 'tensor<512xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.embedding %t[%ids] : (tensor<512xf32>, tensor<4xi64>) -> tensor<4x64xf32>
  return
}

// -----

func.func @embedding_ids(%t: tensor<512x64xf32>, %ids: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of signless integer values}}
  %0 = llmc.embedding %t[%ids] : (tensor<512x64xf32>, tensor<4xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<4x64xf32>, %w: tensor<32x48xf32>) {
  // expected-error @+2 {{input features 64 differ from the weight's in_features 48}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.linear %x, %w : (tensor<4x64xf32>, tensor<32x48xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<4x64xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+2 {{bias must be [out_features] of the input's element type, got 'tensor<64xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.linear %x, %w, %b : (tensor<4x64xf32>, tensor<32x64xf32>, tensor<64xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @linear_weight_type(%x: tensor<4x64xf16>, %w: tensor<32x64xf32>) {
  // expected-error @+2 {{weight element type 'f32' differs from the input's 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.linear %x, %w : (tensor<4x64xf16>, tensor<32x64xf32>) -> tensor<4x32xf16>
  return
}

// -----

func.func @linear_quantized(%x: tensor<4x64xf32>, %w: !llmc.qweight<32x128xsi4, group 32, scale f16>) {
  // expected-error @+2 {{input features 64 differ from the weight's in_features 128}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.linear %x, %w : (tensor<4x64xf32>, !llmc.qweight<32x128xsi4, group 32, scale f16>) -> tensor<4x32xf32>
  return
}

// -----

func.func @lm_head_weight(%x: tensor<4x64xf32>, %w: tensor<512x64x1xf32>) {
  // expected-error @+2 {{weight must be 2-D [out, in], got 'tensor<512x64x1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.lm_head %x, %w : (tensor<4x64xf32>, tensor<512x64x1xf32>) -> tensor<4x512xf32>
  return
}

// -----

func.func @rms_norm_weight(%x: tensor<4x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'llmc.rms_norm' op weight must be 1-D, of the input's element type, and as long as its last dimension; got 'tensor<32xf32>' for input 'tensor<4x64xf32>'}}
  %0 = llmc.rms_norm %x, %w epsilon 1.0e-5 : tensor<4x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @rms_norm_epsilon(%x: tensor<4x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'llmc.rms_norm' op epsilon must be positive}}
  %0 = llmc.rms_norm %x, %w epsilon 0.0 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @layer_norm_bias(%x: tensor<4x64xf32>, %w: tensor<64xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{'llmc.layer_norm' op bias type 'tensor<32xf32>' differs from the weight's 'tensor<64xf32>'}}
  %0 = llmc.layer_norm %x, %w, %b epsilon 1.0e-5 : tensor<4x64xf32>, tensor<64xf32>, tensor<32xf32>
  return
}

// -----

func.func @rope_rank(%x: tensor<4x64xf32>, %cos: tensor<512x4xf32>, %pos: tensor<4xi64>) {
  // expected-error @+1 {{input must be [batch, sequence, heads, head_dim], got 'tensor<4x64xf32>'}}
  %0 = llmc.rope half %x, %cos, %cos, %pos : tensor<4x64xf32>, tensor<512x4xf32>, tensor<4xi64>
  return
}

// -----

func.func @rope_rotary_dim(%x: tensor<1x4x8x8xf32>, %cos: tensor<512x8xf32>, %pos: tensor<4xi64>) {
  // expected-error @+1 {{rotary dimension 16 exceeds head_dim 8}}
  %0 = llmc.rope half %x, %cos, %cos, %pos : tensor<1x4x8x8xf32>, tensor<512x8xf32>, tensor<4xi64>
  return
}

// -----

func.func @rope_positions(%x: tensor<1x4x8x8xf32>, %cos: tensor<512x4xf32>, %pos: tensor<5xi64>) {
  // expected-error @+1 {{positions must be [sequence] or [batch, sequence] of the input, got 'tensor<5xi64>'}}
  %0 = llmc.rope interleaved %x, %cos, %cos, %pos : tensor<1x4x8x8xf32>, tensor<512x4xf32>, tensor<5xi64>
  return
}

// -----

func.func @rope_tables(%x: tensor<1x4x8x8xf32>, %cos: tensor<512x4xf32>, %sin: tensor<256x4xf32>, %pos: tensor<4xi64>) {
  // expected-error @+1 {{'llmc.rope' op failed to verify that all of {cos, sin} have same type}}
  %0 = "llmc.rope"(%x, %cos, %sin, %pos) {mode = 1 : i32} : (tensor<1x4x8x8xf32>, tensor<512x4xf32>, tensor<256x4xf32>, tensor<4xi64>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @rope_mode(%x: tensor<1x4x8x8xf32>, %cos: tensor<512x4xf32>, %pos: tensor<4xi64>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'mode' [interleaved, half]}}
  %0 = llmc.rope quarter %x, %cos, %cos, %pos : tensor<1x4x8x8xf32>, tensor<512x4xf32>, tensor<4xi64>
  return
}

// -----

func.func @attention_gqa(%q: tensor<1x4x6x8xf32>, %kv: tensor<1x4x4x8xf32>) {
  // expected-error @+2 {{query heads (6) must be a multiple of key/value heads (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv causal : (tensor<1x4x6x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x6x8xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<1x4x8x8xf32>, %kv: tensor<1x4x4x16xf32>) {
  // expected-error @+2 {{attention operands disagree on the query/key head_dim}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv : (tensor<1x4x8x8xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<4x8x8xf32>, %kv: tensor<1x4x4x8xf32>) {
  // expected-error @+2 {{query must be a 4-D [batch, sequence, heads, head_dim] tensor of 'f32', got 'tensor<4x8x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv : (tensor<4x8x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<4x8x8xf32>
  return
}

// -----

func.func @attention_key_mask(%q: tensor<1x4x8x8xf32>, %kv: tensor<1x4x4x8xf32>, %m: tensor<1x4xf32>) {
  // expected-error @+2 {{key_mask must be a 2-D [batch, keys] integer tensor, got 'tensor<1x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv key_mask(%m) : (tensor<1x4x8x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @attention_past(%q: tensor<1x4x8x8xf32>, %kv: tensor<1x4x4x8xf32>, %pk: tensor<1x?x4x8xf32, #llmc.dims<past>>, %pv: tensor<1x?x2x8xf32, #llmc.dims<past>>) {
  // expected-error @+2 {{attention operands disagree on the number of key/value heads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv past(%pk, %pv) causal : (tensor<1x4x8x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x?x4x8xf32, #llmc.dims<past>>, tensor<1x?x2x8xf32, #llmc.dims<past>>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x4x8x8xf32>, %kv: tensor<1x4x4x8xf32>) {
  // expected-error @+2 {{scale must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv scale -1.0 : (tensor<1x4x8x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @attention_window_causal(%q: tensor<1x4x8x8xf32>, %kv: tensor<1x4x4x8xf32>) {
  // expected-error @+2 {{a window needs causal attention}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv window 4 : (tensor<1x4x8x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @attention_window_positive(%q: tensor<1x4x8x8xf32>, %kv: tensor<1x4x4x8xf32>) {
  // expected-error @+2 {{window must be positive, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv causal window 0 : (tensor<1x4x8x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @attention_softcap(%q: tensor<1x4x8x8xf32>, %kv: tensor<1x4x4x8xf32>) {
  // expected-error @+2 {{softcap must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.attention %q, %kv, %kv causal softcap 0.0 : (tensor<1x4x8x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @gated_mlp_shapes(%x: tensor<4x64xf32>, %w1: tensor<172x64xf32>, %w2: tensor<64x172xf32>) {
  // expected-error @+1 {{'llmc.gated_mlp' op expects gate and up [hidden, dim] and down [dim, hidden] for input dim 64}}
  %0 = llmc.gated_mlp silu %x, %w1, %w2, %w2 : tensor<4x64xf32>, tensor<172x64xf32>, tensor<64x172xf32>, tensor<64x172xf32>
  return
}

// -----

func.func @gated_mlp_activation(%x: tensor<4x64xf32>, %w1: tensor<172x64xf32>, %w2: tensor<64x172xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'activation' [silu, gelu, gelu_tanh]}}
  %0 = llmc.gated_mlp relu6 %x, %w1, %w1, %w2 : tensor<4x64xf32>, tensor<172x64xf32>, tensor<172x64xf32>, tensor<64x172xf32>
  return
}

// -----

func.func @silu_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.silu %x : tensor<4xi32>
  return
}

// -----

func.func @gelu_types(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "llmc.gelu"(%x) : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @qconstant_codes() {
  // expected-error @+1 {{'llmc.qconstant' op codes must be 'tensor<64x64xui4>', got 'tensor<64x64xsi4>'}}
  %0 = llmc.qconstant dense<1> : tensor<64x64xsi4> scales dense<0.5> : tensor<64x2xf16> zeros dense<8> : tensor<64x2xui4> : !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>
  return
}

// -----

func.func @qconstant_scales() {
  // expected-error @+1 {{'llmc.qconstant' op scales must be 'tensor<64x2xf16>', got 'tensor<64x4xf16>'}}
  %0 = llmc.qconstant dense<1> : tensor<64x64xsi4> scales dense<0.5> : tensor<64x4xf16> : !llmc.qweight<64x64xsi4, group 32, scale f16>
  return
}

// -----

func.func @qconstant_missing_zeros() {
  // expected-error @+1 {{'llmc.qconstant' op type has zero points but none are given}}
  %0 = llmc.qconstant dense<1> : tensor<64x64xui4> scales dense<0.5> : tensor<64x2xf16> : !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>
  return
}

// -----

func.func @qconstant_extra_zeros() {
  // expected-error @+1 {{'llmc.qconstant' op zero points given for a type without them}}
  %0 = llmc.qconstant dense<1> : tensor<64x64xsi8> scales dense<0.5> : tensor<64x1xf32> zeros dense<0> : tensor<64x1xsi8> : !llmc.qweight<64x64xsi8, per_channel, scale f32>
  return
}

// -----

func.func @qconstant_zeros_shape() {
  // expected-error @+1 {{'llmc.qconstant' op zero points must be 'tensor<64x2xui4>', got 'tensor<64x1xui4>'}}
  %0 = llmc.qconstant dense<1> : tensor<64x64xui4> scales dense<0.5> : tensor<64x2xf16> zeros dense<8> : tensor<64x1xui4> : !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>
  return
}

// -----

func.func @dequantize_shape(%w: !llmc.qweight<64x64xsi8, per_channel, scale f32>) {
  // expected-error @+1 {{'llmc.dequantize' op result shape must be the weight's 64x64}}
  %0 = llmc.dequantize %w : !llmc.qweight<64x64xsi8, per_channel, scale f32> -> tensor<64x32xf32>
  return
}

// -----

func.func @dequantize_integer(%w: !llmc.qweight<64x64xsi8, per_channel, scale f32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of floating-point values}}
  %0 = llmc.dequantize %w : !llmc.qweight<64x64xsi8, per_channel, scale f32> -> tensor<64x64xi8>
  return
}

// -----

func.func @mlp_shapes(%x: tensor<4x64xf32>, %w1: tensor<172x64xf32>) {
  // expected-error @+1 {{'llmc.mlp' op expects up [hidden, dim] and down [dim, hidden] for input dim 64}}
  %0 = llmc.mlp gelu %x, %w1, %w1 : tensor<4x64xf32>, tensor<172x64xf32>, tensor<172x64xf32>
  return
}

// -----

func.func @mlp_biases(%x: tensor<4x64xf32>, %w1: tensor<172x64xf32>, %w2: tensor<64x172xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'llmc.mlp' op biases must be [hidden] and [dim] of the input's element type}}
  %0 = llmc.mlp gelu %x, %w1, %w2 biases(%b, %b) : tensor<4x64xf32>, tensor<172x64xf32>, tensor<64x172xf32>, tensor<64xf32>, tensor<64xf32>
  return
}

// -----

func.func @kv_cache_layer(%cache: tensor<2x2x1x4x64x8xf32>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_read' op layer 2 is outside the cache's 2 layers}}
  %k, %v = llmc.kv_cache_read %cache[2] before %pos : tensor<2x2x1x4x64x8xf32> -> tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>
  return
}

// -----

func.func @kv_cache_paged_pool(%cache: tensor<8x2x4x1x16x8xf32>, %table: tensor<1x4xi32>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_read' op expects a pool of blocks [blocks, layers, 2, kv_heads, block_tokens, head_dim], got 'tensor<8x2x4x1x16x8xf32>'}}
  %k, %v = llmc.kv_cache_read %cache[0] blocks %table : tensor<1x4xi32> before %pos : tensor<8x2x4x1x16x8xf32> -> tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>
  return
}

// -----

func.func @kv_cache_paged_ring(%cache: tensor<8x2x2x4x16x8xf32>, %table: tensor<1x4xi32>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_read' op a paged cache has no rings}}
  %k, %v = llmc.kv_cache_read %cache[0] ring [0, 8] blocks %table : tensor<1x4xi32> before %pos : tensor<8x2x2x4x16x8xf32> -> tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>
  return
}

// -----

func.func @kv_cache_paged_batch(%cache: tensor<8x2x2x4x16x8xf32>, %kv: tensor<2x3x4x8xf32>, %table: tensor<1x4xi32>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_write' op key 'tensor<2x3x4x8xf32>' does not fit the cache 'tensor<8x2x2x4x16x8xf32>' through its block table}}
  %c = llmc.kv_cache_write %kv, %kv into %cache[0] blocks %table : tensor<1x4xi32> at %pos : tensor<2x3x4x8xf32>, tensor<2x3x4x8xf32> -> tensor<8x2x2x4x16x8xf32>
  return
}

// -----

func.func @kv_cache_codes_unpaged(%cache: tensor<2x2x1x4x64x8xi8>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_read' op an int8 or fp8 cache must be paged (a block table): its blocks hold their scales, got 'tensor<2x2x1x4x64x8xi8>'}}
  %k, %v = llmc.kv_cache_read %cache[0] before %pos : tensor<2x2x1x4x64x8xi8> -> tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>
  return
}

// -----

func.func @kv_cache_codes_head_dim(%cache: tensor<8x2x2x4x17x2xf8E4M3FN>, %kv: tensor<1x3x4x2xf32>, %table: tensor<1x4xi32>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_write' op an int8 or fp8 cache needs head_dim 4 or more (a row holds its block's scale), got 'tensor<8x2x2x4x17x2xf8E4M3FN>'}}
  %c = llmc.kv_cache_write %kv, %kv into %cache[0] blocks %table : tensor<1x4xi32> at %pos : tensor<1x3x4x2xf32>, tensor<1x3x4x2xf32> -> tensor<8x2x2x4x17x2xf8E4M3FN>
  return
}

// -----

func.func @kv_cache_narrow_unpaged(%cache: tensor<2x2x1x4x64x8xf16>, %kv: tensor<1x3x4x8xf32>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_write' op key must be a 4-D [batch, tokens, kv_heads, head_dim] tensor of 'f16', got 'tensor<1x3x4x8xf32>'}}
  %c = llmc.kv_cache_write %kv, %kv into %cache[0] at %pos : tensor<1x3x4x8xf32>, tensor<1x3x4x8xf32> -> tensor<2x2x1x4x64x8xf16>
  return
}

// -----

func.func @kv_cache_heads(%cache: tensor<2x2x1x4x64x8xf32>, %kv: tensor<1x3x2x8xf32>, %pos: tensor<i64>) {
  // expected-error @+1 {{'llmc.kv_cache_write' op key 'tensor<1x3x2x8xf32>' does not fit the cache 'tensor<2x2x1x4x64x8xf32>'}}
  %c = llmc.kv_cache_write %kv, %kv into %cache[0] at %pos : tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32> -> tensor<2x2x1x4x64x8xf32>
  return
}
