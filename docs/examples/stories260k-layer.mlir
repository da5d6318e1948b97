// One decoder layer of stories260K (../shared/models/stories260K.onnx: dim 64,
// 8 query / 4 key-value heads of 8, SwiGLU 172, vocab 512, tied embedding),
// written in the llmc dialect with the kind of noise an exporter leaves:
// transposes to [batch, heads, sequence, head_dim] and back, a scale of 1.0,
// a reshape chain, positions computed twice, and a dead constant.
// `llmc-opt --llmc-cleanup` removes all of it (test/examples checks that).
func.func @stories260k_layer(
    %ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>,
    %embedding: tensor<512x64xf32>, %attention_norm: tensor<64xf32>,
    %wq: tensor<64x64xf32>, %wk: tensor<32x64xf32>, %wv: tensor<32x64xf32>,
    %wo: tensor<64x64xf32>, %ffn_norm: tensor<64xf32>,
    %w1: tensor<172x64xf32>, %w3: tensor<172x64xf32>, %w2: tensor<64x172xf32>,
    %final_norm: tensor<64xf32>,
    %cos: tensor<512x4xf32>, %sin: tensor<512x4xf32>)
    -> tensor<?x?x512xf32, #llmc.dims<batch, sequence>> {
  %one = llmc.constant dense<1.0> : tensor<f32>
  %unused = llmc.constant dense<0.0> : tensor<512x64xf32>
  %x = llmc.embedding %embedding[%ids] : (tensor<512x64xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %h = llmc.rms_norm %x, %attention_norm epsilon 1.0e-5 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>

  %q = llmc.linear %h, %wq : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64x64xf32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %k = llmc.linear %h, %wk : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<32x64xf32>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
  %v = llmc.linear %h, %wv : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<32x64xf32>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
  %q4 = llmc.reshape %q : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %k4 = llmc.reshape %k : tensor<?x?x32xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %v4 = llmc.reshape %v : tensor<?x?x32xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>

  %positions_q = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %positions_k = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %qr = llmc.rope interleaved %q4, %cos, %sin, %positions_q : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<512x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  %kr = llmc.rope interleaved %k4, %cos, %sin, %positions_k : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<512x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  %qt = llmc.transpose %qr [0, 2, 1, 3] : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x8x?x8xf32, #llmc.dims<batch, sequence>>
  %qb = llmc.transpose %qt [0, 2, 1, 3] : (tensor<?x8x?x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %attn = llmc.attention %qb, %kr, %v4 causal : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %attn2 = llmc.reshape %attn : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x32xf32, #llmc.dims<batch, sequence>>
  %attn3 = llmc.reshape %attn2 : tensor<?x?x2x32xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %o = llmc.linear %attn3, %wo : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64x64xf32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %o_scaled = llmc.mul %o, %one : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %x2 = llmc.add %x, %o_scaled : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>

  %h2 = llmc.rms_norm %x2, %ffn_norm epsilon 1.0e-5 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>
  %f = llmc.gated_mlp silu %h2, %w1, %w3, %w2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<172x64xf32>, tensor<172x64xf32>, tensor<64x172xf32>
  %x3 = llmc.add %x2, %f : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>

  %out = llmc.rms_norm %x3, %final_norm epsilon 1.0e-5 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>
  %logits = llmc.lm_head %out, %embedding : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<512x64xf32>) -> tensor<?x?x512xf32, #llmc.dims<batch, sequence>>
  return %logits : tensor<?x?x512xf32, #llmc.dims<batch, sequence>>
}
