// RUN: llmc-opt %s --llmc-raise --split-input-file | FileCheck %s

// RMSNorm as llama2.c exports it: w * (x * 1/sqrt(mean(x^2) + eps)).
// CHECK-LABEL: func.func @rms_norm_reciprocal_sqrt
// CHECK: %[[N:.*]] = llmc.rms_norm %arg0, %arg1 epsilon 9.99999974E-6 : tensor<?x64xf32, #llmc.dims<sequence>>, tensor<64xf32>
// CHECK-NEXT: return %[[N]]
func.func @rms_norm_reciprocal_sqrt(%x: tensor<?x64xf32, #llmc.dims<sequence>>, %w: tensor<64xf32>) -> tensor<?x64xf32, #llmc.dims<sequence>> {
  %two = llmc.constant dense<2.0> : tensor<f32>
  %eps = llmc.constant dense<1.0e-5> : tensor<f32>
  %one = llmc.constant dense<1.0> : tensor<f32>
  %sq = llmc.pow %x, %two : (tensor<?x64xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  %mean = llmc.reduce_mean %sq [1] keep_dims : (tensor<?x64xf32, #llmc.dims<sequence>>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %sum = llmc.add %mean, %eps : (tensor<?x1xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %root = llmc.sqrt %sum : tensor<?x1xf32, #llmc.dims<sequence>>
  %inv = llmc.div %one, %root : (tensor<f32>, tensor<?x1xf32, #llmc.dims<sequence>>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %n = llmc.mul %x, %inv : (tensor<?x64xf32, #llmc.dims<sequence>>, tensor<?x1xf32, #llmc.dims<sequence>>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  %y = llmc.mul %n, %w : (tensor<?x64xf32, #llmc.dims<sequence>>, tensor<64xf32>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  return %y : tensor<?x64xf32, #llmc.dims<sequence>>
}

// -----

// Hugging Face's form: weight * (x * rsqrt(mean(x * x) + eps)).
// CHECK-LABEL: func.func @rms_norm_rsqrt
// CHECK: llmc.rms_norm %arg0, %arg1 epsilon 9.99999997E-7
func.func @rms_norm_rsqrt(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  %eps = llmc.constant dense<1.0e-6> : tensor<f32>
  %sq = llmc.mul %x, %x : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %mean = llmc.reduce_mean %sq [1] keep_dims : (tensor<4x64xf32>) -> tensor<4x1xf32>
  %sum = llmc.add %eps, %mean : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %inv = llmc.rsqrt %sum : tensor<4x1xf32>
  %n = llmc.mul %inv, %x : (tensor<4x1xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %y = llmc.mul %w, %n : (tensor<64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

// Must not fire: the mean is over the wrong axis, so this is not RMSNorm.
// CHECK-LABEL: func.func @not_rms_norm
// CHECK-NOT: llmc.rms_norm
func.func @not_rms_norm(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  %eps = llmc.constant dense<1.0e-6> : tensor<f32>
  %sq = llmc.mul %x, %x : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %mean = llmc.reduce_mean %sq [0] keep_dims : (tensor<4x64xf32>) -> tensor<1x64xf32>
  %sum = llmc.add %mean, %eps : (tensor<1x64xf32>, tensor<f32>) -> tensor<1x64xf32>
  %inv = llmc.rsqrt %sum : tensor<1x64xf32>
  %n = llmc.mul %x, %inv : (tensor<4x64xf32>, tensor<1x64xf32>) -> tensor<4x64xf32>
  %y = llmc.mul %n, %w : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

// SwiGLU from MatMuls with constant [in, out] weights: linears with [out, in]
// weights, silu, and the gated MLP; the final projection is the lm_head.
// CHECK-LABEL: func.func @swiglu_and_head
// (The weight transposes fold into constants as the patterns apply.)
// CHECK-DAG: %[[W2:.*]] = llmc.constant dense<3.000000e-01> : tensor<8x6xf32>
// CHECK-DAG: %[[W3:.*]] = llmc.constant dense<2.000000e-01> : tensor<6x8xf32>
// CHECK-DAG: %[[W1:.*]] = llmc.constant dense<1.000000e-01> : tensor<6x8xf32>
// CHECK: %[[M:.*]] = llmc.gated_mlp silu %arg0, %[[W1]], %[[W3]], %[[W2]]
// CHECK: %[[H:.*]] = llmc.lm_head %[[M]], %{{.*}} : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<16x8xf32>) -> tensor<?x16xf32, #llmc.dims<sequence>>
// CHECK: return %[[H]]
func.func @swiglu_and_head(%x: tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x16xf32, #llmc.dims<sequence>> {
  %w1 = llmc.constant dense<0.1> : tensor<8x6xf32>
  %w3 = llmc.constant dense<0.2> : tensor<8x6xf32>
  %w2 = llmc.constant dense<0.3> : tensor<6x8xf32>
  %head = llmc.constant dense<0.4> : tensor<8x16xf32>
  %g = llmc.matmul %x, %w1 : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8x6xf32>) -> tensor<?x6xf32, #llmc.dims<sequence>>
  %s = llmc.sigmoid %g : tensor<?x6xf32, #llmc.dims<sequence>>
  %a = llmc.mul %g, %s : (tensor<?x6xf32, #llmc.dims<sequence>>, tensor<?x6xf32, #llmc.dims<sequence>>) -> tensor<?x6xf32, #llmc.dims<sequence>>
  %u = llmc.matmul %x, %w3 : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8x6xf32>) -> tensor<?x6xf32, #llmc.dims<sequence>>
  %h = llmc.mul %a, %u : (tensor<?x6xf32, #llmc.dims<sequence>>, tensor<?x6xf32, #llmc.dims<sequence>>) -> tensor<?x6xf32, #llmc.dims<sequence>>
  %d = llmc.matmul %h, %w2 : (tensor<?x6xf32, #llmc.dims<sequence>>, tensor<6x8xf32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %logits = llmc.matmul %d, %head : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8x16xf32>) -> tensor<?x16xf32, #llmc.dims<sequence>>
  return %logits : tensor<?x16xf32, #llmc.dims<sequence>>
}

// -----

// GPT-2's projections: a bias added to the linear, exact GELU from Erf, and
// the token embedding; a MatMul by a non-constant stays a matmul (so this
// is no MLP).
// CHECK-LABEL: func.func @gelu_bias_embedding
// CHECK: %[[E:.*]] = llmc.embedding %{{.*}}[%arg0]
// CHECK: %[[L:.*]] = llmc.linear %[[E]], %{{.*}}, %{{.*}} : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8x8xf32>, tensor<8xf32>)
// CHECK: %[[G:.*]] = llmc.gelu %[[L]] : tensor<?x8xf32, #llmc.dims<sequence>>
// CHECK: llmc.matmul %[[G]], %arg1
func.func @gelu_bias_embedding(%ids: tensor<?xi64, #llmc.dims<sequence>>, %y: tensor<8x4xf32>) -> tensor<?x4xf32, #llmc.dims<sequence>> {
  %table = llmc.constant dense<0.5> : tensor<32x8xf32>
  %w = llmc.constant dense<0.1> : tensor<8x8xf32>
  %b = llmc.constant dense<0.2> : tensor<8xf32>
  %sqrt2 = llmc.constant dense<1.41421354> : tensor<f32>
  %one = llmc.constant dense<1.0> : tensor<f32>
  %half = llmc.constant dense<0.5> : tensor<f32>
  %x = llmc.gather %table[%ids] axis 0 : (tensor<32x8xf32>, tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %m = llmc.matmul %x, %w : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8x8xf32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %l = llmc.add %b, %m : (tensor<8xf32>, tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %d = llmc.div %l, %sqrt2 : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %e = llmc.erf %d : tensor<?x8xf32, #llmc.dims<sequence>>
  %p = llmc.add %e, %one : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %xm = llmc.mul %l, %p : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %g = llmc.mul %xm, %half : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %r = llmc.matmul %g, %y : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8x4xf32>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  return %r : tensor<?x4xf32, #llmc.dims<sequence>>
}

// -----

// Causal grouped-query attention as llama2.c exports it: k/v repeated from 2
// to 4 heads, scores / sqrt(8) plus a sliced constant mask (-inf above the
// diagonal). Raised to one attention op on the unrepeated k/v.
// CHECK-LABEL: func.func @attention_gqa_additive_mask
// CHECK: %[[A:.*]] = llmc.attention %arg0, %arg1, %arg2 causal scale 0.353553385 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
// CHECK-NEXT: return %[[A]]
func.func @attention_gqa_additive_mask(%q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %k: tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, %v: tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  %mask = llmc.constant dense<[[[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %c = llmc.constant dense<2.82842708> : tensor<f32>
  %k5 = llmc.reshape %k : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1x8xf32, #llmc.dims<batch, sequence>>
  %ke = llmc.expand %k5 : tensor<?x?x2x1x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x2x8xf32, #llmc.dims<batch, sequence>>
  %kr = llmc.reshape %ke : tensor<?x?x2x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %v5 = llmc.reshape %v : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1x8xf32, #llmc.dims<batch, sequence>>
  %ve = llmc.expand %v5 : tensor<?x?x2x1x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x2x8xf32, #llmc.dims<batch, sequence>>
  %vr = llmc.reshape %ve : tensor<?x?x2x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %qt = llmc.transpose %q [0, 2, 1, 3] : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x8xf32, #llmc.dims<batch, sequence>>
  %kt = llmc.transpose %kr [0, 2, 3, 1] : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x8x?xf32, #llmc.dims<batch, sequence>>
  %vt = llmc.transpose %vr [0, 2, 1, 3] : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x8xf32, #llmc.dims<batch, sequence>>
  %s = llmc.matmul %qt, %kt : (tensor<?x4x?x8xf32, #llmc.dims<batch, sequence>>, tensor<?x4x8x?xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %sc = llmc.div %s, %c : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<f32>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %m = llmc.slice %mask offsets [0, 0, 0, 0] strides [1, 1, 1, 1] : tensor<1x1x3x3xf32> -> tensor<1x1x?x?xf32, #llmc.dims<sequence, sequence>>
  %ms = llmc.add %sc, %m : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<1x1x?x?xf32, #llmc.dims<sequence, sequence>>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %p = llmc.softmax %ms axis 3 : tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %o = llmc.matmul %p, %vt : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<?x4x?x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x8xf32, #llmc.dims<batch, sequence>>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<?x4x?x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %r : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}

// -----

// nanoGPT's form: Where(tril == 0, -inf, scores * c). Same op, causal.
// CHECK-LABEL: func.func @attention_where_mask
// CHECK: llmc.attention %arg0, %arg1, %arg2 causal scale 0.176776692
func.func @attention_where_mask(%q: tensor<1x3x2x8xf32>, %k: tensor<1x3x2x8xf32>, %v: tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32> {
  %tril = llmc.constant dense<[[[[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]]]> : tensor<1x1x3x3xf32>
  %zero = llmc.constant dense<0.0> : tensor<f32>
  %ninf = llmc.constant dense<0xFF800000> : tensor<f32>
  %c = llmc.constant dense<0.176776692> : tensor<f32>
  %qt = llmc.transpose %q [0, 2, 1, 3] : (tensor<1x3x2x8xf32>) -> tensor<1x2x3x8xf32>
  %kt = llmc.transpose %k [0, 2, 3, 1] : (tensor<1x3x2x8xf32>) -> tensor<1x2x8x3xf32>
  %vt = llmc.transpose %v [0, 2, 1, 3] : (tensor<1x3x2x8xf32>) -> tensor<1x2x3x8xf32>
  %s = llmc.matmul %qt, %kt : (tensor<1x2x3x8xf32>, tensor<1x2x8x3xf32>) -> tensor<1x2x3x3xf32>
  %sc = llmc.mul %s, %c : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %is0 = llmc.compare eq, %tril, %zero : (tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xi1>
  %ms = llmc.select %is0, %ninf, %sc : (tensor<1x1x3x3xi1>, tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = llmc.softmax %ms axis 3 : tensor<1x2x3x3xf32>
  %o = llmc.matmul %p, %vt : (tensor<1x2x3x3xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<1x2x3x8xf32>) -> tensor<1x3x2x8xf32>
  return %r : tensor<1x3x2x8xf32>
}

// -----

// Gemma 2's soft-capped scores: tanh(scores * 0.25 / 50) * 50, then the
// mask. The scale is 0.25 and the cap 50, whatever order the constants come
// in.
// CHECK-LABEL: func.func @attention_softcap
// CHECK: llmc.attention %arg0, %arg1, %arg2 causal scale 2.500000e-01 softcap 5.000000e+01
func.func @attention_softcap(%q: tensor<1x3x2x8xf32>, %k: tensor<1x3x2x8xf32>, %v: tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32> {
  %tril = llmc.constant dense<[[[[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]]]> : tensor<1x1x3x3xf32>
  %zero = llmc.constant dense<0.0> : tensor<f32>
  %ninf = llmc.constant dense<0xFF800000> : tensor<f32>
  %c = llmc.constant dense<0.25> : tensor<f32>
  %cap = llmc.constant dense<50.0> : tensor<f32>
  %qt = llmc.transpose %q [0, 2, 1, 3] : (tensor<1x3x2x8xf32>) -> tensor<1x2x3x8xf32>
  %kt = llmc.transpose %k [0, 2, 3, 1] : (tensor<1x3x2x8xf32>) -> tensor<1x2x8x3xf32>
  %vt = llmc.transpose %v [0, 2, 1, 3] : (tensor<1x3x2x8xf32>) -> tensor<1x2x3x8xf32>
  %s = llmc.matmul %qt, %kt : (tensor<1x2x3x8xf32>, tensor<1x2x8x3xf32>) -> tensor<1x2x3x3xf32>
  %sc = llmc.mul %s, %c : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %sd = llmc.div %sc, %cap : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %st = llmc.tanh %sd : tensor<1x2x3x3xf32>
  %sm = llmc.mul %cap, %st : (tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %is0 = llmc.compare eq, %tril, %zero : (tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xi1>
  %ms = llmc.select %is0, %ninf, %sm : (tensor<1x1x3x3xi1>, tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = llmc.softmax %ms axis 3 : tensor<1x2x3x3xf32>
  %o = llmc.matmul %p, %vt : (tensor<1x2x3x3xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<1x2x3x8xf32>) -> tensor<1x3x2x8xf32>
  return %r : tensor<1x3x2x8xf32>
}

// -----

// Must not fire: a mask that is not causal (it hides the diagonal too)
// leaves the computation primitive, with the reason on the softmax.
// CHECK-LABEL: func.func @attention_other_mask
// CHECK-NOT: llmc.attention
// CHECK: llmc.softmax %{{.*}} axis 3 {llmc.unraised = "attention not recognised: the query at position 0 does not see its own key"}
func.func @attention_other_mask(%q: tensor<1x3x2x8xf32>, %k: tensor<1x3x2x8xf32>, %v: tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32> {
  %mask = llmc.constant dense<[[[[0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000]]]]> : tensor<1x1x3x3xf32>
  %qt = llmc.transpose %q [0, 2, 1, 3] : (tensor<1x3x2x8xf32>) -> tensor<1x2x3x8xf32>
  %kt = llmc.transpose %k [0, 2, 3, 1] : (tensor<1x3x2x8xf32>) -> tensor<1x2x8x3xf32>
  %vt = llmc.transpose %v [0, 2, 1, 3] : (tensor<1x3x2x8xf32>) -> tensor<1x2x3x8xf32>
  %s = llmc.matmul %qt, %kt : (tensor<1x2x3x8xf32>, tensor<1x2x8x3xf32>) -> tensor<1x2x3x3xf32>
  %ms = llmc.add %s, %mask : (tensor<1x2x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = llmc.softmax %ms axis 3 : tensor<1x2x3x3xf32>
  %o = llmc.matmul %p, %vt : (tensor<1x2x3x3xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<1x2x3x8xf32>) -> tensor<1x3x2x8xf32>
  return %r : tensor<1x3x2x8xf32>
}

// -----

// Interleaved RoPE as llama2.c exports it (pairs (2i, 2i+1)).
// The table multiplying re in re*C - im*S is the cosine: no swap.
// CHECK-LABEL: func.func @rope_interleaved
// CHECK-DAG: %[[COS:.*]] = llmc.constant dense<5.000000e-01> : tensor<16x2xf32>
// CHECK-DAG: %[[SIN:.*]] = llmc.constant dense<2.500000e-01> : tensor<16x2xf32>
// CHECK: %[[P:.*]] = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
// CHECK: %[[R:.*]] = llmc.rope interleaved %arg0, %[[COS]], %[[SIN]], %[[P]] : tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<16x2xf32>, tensor<?xi64, #llmc.dims<sequence>>
// CHECK-NEXT: return %[[R]]
func.func @rope_interleaved(%x: tensor<1x?x2x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>> {
  %cos_table = llmc.constant dense<0.5> : tensor<16x2xf32>
  %sin_table = llmc.constant dense<0.25> : tensor<16x2xf32>
  %cos_s = llmc.slice %cos_table offsets [0, 0] strides [1, 1] : tensor<16x2xf32> -> tensor<?x2xf32, #llmc.dims<sequence>>
  %sin_s = llmc.slice %sin_table offsets [0, 0] strides [1, 1] : tensor<16x2xf32> -> tensor<?x2xf32, #llmc.dims<sequence>>
  %c = llmc.reshape %cos_s : tensor<?x2xf32, #llmc.dims<sequence>> -> tensor<1x?x1x2xf32, #llmc.dims<sequence>>
  %s = llmc.reshape %sin_s : tensor<?x2xf32, #llmc.dims<sequence>> -> tensor<1x?x1x2xf32, #llmc.dims<sequence>>
  %pairs = llmc.reshape %x : tensor<1x?x2x4xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2x2xf32, #llmc.dims<sequence>>
  %halves:2 = llmc.split %pairs axis 4 : tensor<1x?x2x2x2xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2x1xf32, #llmc.dims<sequence>>, tensor<1x?x2x2x1xf32, #llmc.dims<sequence>>
  %re = llmc.reshape %halves#0 : tensor<1x?x2x2x1xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %im = llmc.reshape %halves#1 : tensor<1x?x2x2x1xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %rc = llmc.mul %re, %c : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x1x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %is = llmc.mul %im, %s : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x1x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %out_re = llmc.sub %rc, %is : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x2x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %rs = llmc.mul %re, %s : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x1x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %ic = llmc.mul %im, %c : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x1x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %out_im = llmc.add %rs, %ic : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x2x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %re1 = llmc.reshape %out_re : tensor<1x?x2x2xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2x1xf32, #llmc.dims<sequence>>
  %im1 = llmc.reshape %out_im : tensor<1x?x2x2xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2x1xf32, #llmc.dims<sequence>>
  %stacked = llmc.concat %re1, %im1 axis 4 : (tensor<1x?x2x2x1xf32, #llmc.dims<sequence>>, tensor<1x?x2x2x1xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x2x2xf32, #llmc.dims<sequence>>
  %r = llmc.reshape %stacked : tensor<1x?x2x2x2xf32, #llmc.dims<sequence>> -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  return %r : tensor<1x?x2x4xf32, #llmc.dims<sequence>>
}

// -----

// Half-rotation RoPE as Hugging Face exports it: x*cos + rotate_half(x)*sin
// with the half tables concatenated to full width.
// CHECK-LABEL: func.func @rope_half
// CHECK-DAG: %[[COS:.*]] = llmc.constant dense<5.000000e-01> : tensor<16x2xf32>
// CHECK-DAG: %[[SIN:.*]] = llmc.constant dense<2.500000e-01> : tensor<16x2xf32>
// CHECK: %[[P:.*]] = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
// CHECK: %[[R:.*]] = llmc.rope half %arg0, %[[COS]], %[[SIN]], %[[P]] : tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<16x2xf32>, tensor<?xi64, #llmc.dims<sequence>>
// CHECK-NEXT: return %[[R]]
func.func @rope_half(%x: tensor<1x?x2x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>> {
  %cos_table = llmc.constant dense<0.5> : tensor<16x2xf32>
  %sin_table = llmc.constant dense<0.25> : tensor<16x2xf32>
  %cos_s = llmc.slice %cos_table offsets [0, 0] strides [1, 1] : tensor<16x2xf32> -> tensor<?x2xf32, #llmc.dims<sequence>>
  %sin_s = llmc.slice %sin_table offsets [0, 0] strides [1, 1] : tensor<16x2xf32> -> tensor<?x2xf32, #llmc.dims<sequence>>
  %cos_full = llmc.concat %cos_s, %cos_s axis 1 : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<?x2xf32, #llmc.dims<sequence>>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %sin_full = llmc.concat %sin_s, %sin_s axis 1 : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<?x2xf32, #llmc.dims<sequence>>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %c = llmc.reshape %cos_full : tensor<?x4xf32, #llmc.dims<sequence>> -> tensor<1x?x1x4xf32, #llmc.dims<sequence>>
  %s = llmc.reshape %sin_full : tensor<?x4xf32, #llmc.dims<sequence>> -> tensor<1x?x1x4xf32, #llmc.dims<sequence>>
  %x1 = llmc.slice %x offsets [0, 0, 0, 0] strides [1, 1, 1, 1] : tensor<1x?x2x4xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %x2 = llmc.slice %x offsets [0, 0, 0, 2] strides [1, 1, 1, 1] : tensor<1x?x2x4xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %n = llmc.neg %x2 : tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %rot = llmc.concat %n, %x1 axis 3 : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x2x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %xc = llmc.mul %x, %c : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x1x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %rs = llmc.mul %rot, %s : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x1x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %r = llmc.add %xc, %rs : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x2x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  return %r : tensor<1x?x2x4xf32, #llmc.dims<sequence>>
}

// -----

// Must not fire: rotate_half with the halves in the wrong order (no negation
// of the upper half) is not a rotation.
// CHECK-LABEL: func.func @not_rope
// CHECK-NOT: llmc.rope
func.func @not_rope(%x: tensor<1x?x2x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>> {
  %cos_table = llmc.constant dense<0.5> : tensor<16x2xf32>
  %cos_s = llmc.slice %cos_table offsets [0, 0] strides [1, 1] : tensor<16x2xf32> -> tensor<?x2xf32, #llmc.dims<sequence>>
  %cos_full = llmc.concat %cos_s, %cos_s axis 1 : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<?x2xf32, #llmc.dims<sequence>>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %c = llmc.reshape %cos_full : tensor<?x4xf32, #llmc.dims<sequence>> -> tensor<1x?x1x4xf32, #llmc.dims<sequence>>
  %x1 = llmc.slice %x offsets [0, 0, 0, 0] strides [1, 1, 1, 1] : tensor<1x?x2x4xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %x2 = llmc.slice %x offsets [0, 0, 0, 2] strides [1, 1, 1, 1] : tensor<1x?x2x4xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %rot = llmc.concat %x2, %x1 axis 3 : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x2x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %xc = llmc.mul %x, %c : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x1x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %rs = llmc.mul %rot, %c : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x1x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %r = llmc.add %xc, %rs : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x2x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  return %r : tensor<1x?x2x4xf32, #llmc.dims<sequence>>
}

// -----

// A rotate-half RoPE whose angles come from an input other than
// position_ids: not raised, with the reason on the sum.
// CHECK-LABEL: func.func @rope_angles_from_input
// CHECK-NOT: llmc.rope
// CHECK: llmc.add %{{.*}}, %{{.*}} {llmc.unraised = "rope not recognised: the angles read an input other than position_ids"}
func.func @rope_angles_from_input(%x: tensor<1x?x2x4xf32, #llmc.dims<sequence>>, %angles: tensor<1x?x1x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>> {
  %c = llmc.cos %angles : tensor<1x?x1x4xf32, #llmc.dims<sequence>>
  %s = llmc.sin %angles : tensor<1x?x1x4xf32, #llmc.dims<sequence>>
  %x1 = llmc.slice %x offsets [0, 0, 0, 0] strides [1, 1, 1, 1] : tensor<1x?x2x4xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %x2 = llmc.slice %x offsets [0, 0, 0, 2] strides [1, 1, 1, 1] : tensor<1x?x2x4xf32, #llmc.dims<sequence>> -> tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %n2 = llmc.neg %x2 : tensor<1x?x2x2xf32, #llmc.dims<sequence>>
  %rot = llmc.concat %n2, %x1 axis 3 : (tensor<1x?x2x2xf32, #llmc.dims<sequence>>, tensor<1x?x2x2xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %xc = llmc.mul %x, %c : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x1x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %rs = llmc.mul %rot, %s : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x1x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  %r = llmc.add %xc, %rs : (tensor<1x?x2x4xf32, #llmc.dims<sequence>>, tensor<1x?x2x4xf32, #llmc.dims<sequence>>) -> tensor<1x?x2x4xf32, #llmc.dims<sequence>>
  return %r : tensor<1x?x2x4xf32, #llmc.dims<sequence>>
}

// -----

// GPT-2's MLP: up linear with bias, GELU, down linear with bias.
// CHECK-LABEL: func.func @plain_mlp
// CHECK: %[[M:.*]] = llmc.mlp gelu %arg0, %{{.*}}, %{{.*}} biases(%{{.*}}, %{{.*}}) : tensor<?x8xf32, #llmc.dims<sequence>>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<16xf32>, tensor<8xf32>
// CHECK-NEXT: return %[[M]]
func.func @plain_mlp(%x: tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>> {
  %wu = llmc.constant dense<0.1> : tensor<8x16xf32>
  %bu = llmc.constant dense<0.2> : tensor<16xf32>
  %wd = llmc.constant dense<0.3> : tensor<16x8xf32>
  %bd = llmc.constant dense<0.4> : tensor<8xf32>
  %u = llmc.matmul %x, %wu : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8x16xf32>) -> tensor<?x16xf32, #llmc.dims<sequence>>
  %ub = llmc.add %u, %bu : (tensor<?x16xf32, #llmc.dims<sequence>>, tensor<16xf32>) -> tensor<?x16xf32, #llmc.dims<sequence>>
  %g = llmc.gelu %ub : tensor<?x16xf32, #llmc.dims<sequence>>
  %d = llmc.matmul %g, %wd : (tensor<?x16xf32, #llmc.dims<sequence>>, tensor<16x8xf32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %db = llmc.add %d, %bd : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8xf32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %r = llmc.add %db, %x : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  return %db : tensor<?x8xf32, #llmc.dims<sequence>>
}

// -----

// A tied lm_head: the exporter stored the embedding table a second time,
// transposed, for the final MatMul. The head shares the table; a head with
// other data keeps its own weight.
// CHECK-LABEL: func.func @tied_head
// CHECK: %[[TABLE:.*]] = llmc.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: llmc.embedding %[[TABLE]][%arg0]
// CHECK: llmc.lm_head %{{.*}}, %[[TABLE]]
func.func @tied_head(%ids: tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x3xf32, #llmc.dims<sequence>> {
  %table = llmc.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %copy = llmc.constant dense<[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]> : tensor<2x3xf32>
  %x = llmc.gather %table[%ids] axis 0 : (tensor<3x2xf32>, tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x2xf32, #llmc.dims<sequence>>
  %logits = llmc.matmul %x, %copy : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<2x3xf32>) -> tensor<?x3xf32, #llmc.dims<sequence>>
  return %logits : tensor<?x3xf32, #llmc.dims<sequence>>
}

// -----

// Gemma 2's final soft-cap: the head's logits go through tanh(l / 30) * 30
// on their way out; the linear is still the lm_head.
// CHECK-LABEL: func.func @softcapped_head
// CHECK: %[[L:.*]] = llmc.lm_head
// CHECK: %[[D:.*]] = llmc.div %[[L]]
// CHECK: %[[T:.*]] = llmc.tanh %[[D]]
// CHECK: llmc.mul %[[T]]
func.func @softcapped_head(%ids: tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x3xf32, #llmc.dims<sequence>> {
  %table = llmc.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %other = llmc.constant dense<[[1.0, 3.0, 5.0], [2.0, 4.0, 7.0]]> : tensor<2x3xf32>
  %cap = llmc.constant dense<30.0> : tensor<f32>
  %x = llmc.gather %table[%ids] axis 0 : (tensor<3x2xf32>, tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x2xf32, #llmc.dims<sequence>>
  %logits = llmc.matmul %x, %other : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<2x3xf32>) -> tensor<?x3xf32, #llmc.dims<sequence>>
  %d = llmc.div %logits, %cap : (tensor<?x3xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x3xf32, #llmc.dims<sequence>>
  %t = llmc.tanh %d : tensor<?x3xf32, #llmc.dims<sequence>>
  %m = llmc.mul %t, %cap : (tensor<?x3xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x3xf32, #llmc.dims<sequence>>
  return %m : tensor<?x3xf32, #llmc.dims<sequence>>
}

// -----

// CHECK-LABEL: func.func @untied_head
// CHECK-DAG: %[[TABLE:.*]] = llmc.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[HEAD:.*]] = llmc.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 7.000000e+00]]> : tensor<3x2xf32>
// CHECK: llmc.lm_head %{{.*}}, %[[HEAD]]
func.func @untied_head(%ids: tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x3xf32, #llmc.dims<sequence>> {
  %table = llmc.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %other = llmc.constant dense<[[1.0, 3.0, 5.0], [2.0, 4.0, 7.0]]> : tensor<2x3xf32>
  %x = llmc.gather %table[%ids] axis 0 : (tensor<3x2xf32>, tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x2xf32, #llmc.dims<sequence>>
  %logits = llmc.matmul %x, %other : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<2x3xf32>) -> tensor<?x3xf32, #llmc.dims<sequence>>
  return %logits : tensor<?x3xf32, #llmc.dims<sequence>>
}

// -----

// GELU with the tanh approximation (Hugging Face's NewGELUActivation).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK: %[[G:.*]] = llmc.gelu %arg0 tanh : tensor<4x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_tanh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %three = llmc.constant dense<3.0> : tensor<f32>
  %k = llmc.constant dense<0.044715> : tensor<f32>
  %c = llmc.constant dense<0.797884583> : tensor<f32>
  %one = llmc.constant dense<1.0> : tensor<f32>
  %half = llmc.constant dense<0.5> : tensor<f32>
  %cube = llmc.pow %x, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %kc = llmc.mul %k, %cube : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %sum = llmc.add %x, %kc : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %scaled = llmc.mul %c, %sum : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %t = llmc.tanh %scaled : tensor<4x8xf32>
  %onet = llmc.add %one, %t : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %hx = llmc.mul %half, %x : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %g = llmc.mul %hx, %onet : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}

// -----

// LayerNorm written out: (x - mean) / sqrt(var + eps) * w + b.
// CHECK-LABEL: func.func @layer_norm_decomposed
// CHECK: %[[N:.*]] = llmc.layer_norm %arg0, %{{.*}}, %{{.*}} epsilon 9.99999974E-6 : tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8xf32>, tensor<8xf32>
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_decomposed(%x: tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>> {
  %w = llmc.constant dense<1.5> : tensor<8xf32>
  %b = llmc.constant dense<0.5> : tensor<8xf32>
  %two = llmc.constant dense<2.0> : tensor<f32>
  %eps = llmc.constant dense<1.0e-5> : tensor<f32>
  %mean = llmc.reduce_mean %x [1] keep_dims : (tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %d = llmc.sub %x, %mean : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<?x1xf32, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %sq = llmc.pow %d, %two : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %var = llmc.reduce_mean %sq [1] keep_dims : (tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %s = llmc.add %var, %eps : (tensor<?x1xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %den = llmc.sqrt %s : tensor<?x1xf32, #llmc.dims<sequence>>
  %n = llmc.div %d, %den : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<?x1xf32, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %nw = llmc.mul %n, %w : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8xf32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %y = llmc.add %nw, %b : (tensor<?x8xf32, #llmc.dims<sequence>>, tensor<8xf32>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  return %y : tensor<?x8xf32, #llmc.dims<sequence>>
}

// -----

// A norm whose weight was all ones (the clean-up removed x * 1): the norm
// gets an explicit weight of ones.
// CHECK-LABEL: func.func @rms_norm_unit_weight
// CHECK: %[[ONES:.*]] = llmc.constant dense<1.000000e+00> : tensor<64xf16>
// CHECK: llmc.rms_norm %arg0, %[[ONES]] epsilon 1.00135803E-5 : tensor<4x64xf16>, tensor<64xf16>
func.func @rms_norm_unit_weight(%x: tensor<4x64xf16>) -> tensor<4x64xf16> {
  %eps = llmc.constant dense<1.0e-5> : tensor<f16>
  %sq = llmc.mul %x, %x : (tensor<4x64xf16>, tensor<4x64xf16>) -> tensor<4x64xf16>
  %mean = llmc.reduce_mean %sq [1] keep_dims : (tensor<4x64xf16>) -> tensor<4x1xf16>
  %sum = llmc.add %mean, %eps : (tensor<4x1xf16>, tensor<f16>) -> tensor<4x1xf16>
  %root = llmc.sqrt %sum : tensor<4x1xf16>
  %n = llmc.div %x, %root : (tensor<4x64xf16>, tensor<4x1xf16>) -> tensor<4x64xf16>
  return %n : tensor<4x64xf16>
}

// -----

// A mask computed at run time from positions (Hugging Face): the evaluator
// runs it for sample extents and finds it causal; q, k, v come in
// [b, h, s, d], with the scale split over q and k, and a NaN guard after
// the softmax.
// CHECK-LABEL: func.func @computed_causal_mask
// CHECK: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 2.500000e-01
// CHECK-NOT: llmc.softmax
func.func @computed_causal_mask(%q: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %k: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %v: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>> {
  %half = llmc.constant dense<0.5> : tensor<f32>
  %zero = llmc.constant dense<0.0> : tensor<f32>
  %ninf = llmc.constant dense<0xFF800000> : tensor<f32>
  %pos = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %rows = llmc.reshape %pos : tensor<?xi64, #llmc.dims<sequence>> -> tensor<?x1xi64, #llmc.dims<sequence>>
  %visible = llmc.compare le, %pos, %rows : (tensor<?xi64, #llmc.dims<sequence>>, tensor<?x1xi64, #llmc.dims<sequence>>) -> tensor<?x?xi1, #llmc.dims<sequence, sequence>>
  %kt = llmc.transpose %k [0, 1, 3, 2] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>
  %qs = llmc.mul %q, %half : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>
  %ks = llmc.mul %kt, %half : (tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>
  %s = llmc.matmul %qs, %ks : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %m = llmc.select %visible, %s, %ninf : (tensor<?x?xi1, #llmc.dims<sequence, sequence>>, tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<f32>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %p = llmc.softmax %m axis 3 : tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %nan = llmc.is_nan %p : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>) -> tensor<?x4x?x?xi1, #llmc.dims<batch, sequence, sequence>>
  %g = llmc.select %nan, %zero, %p : (tensor<?x4x?x?xi1, #llmc.dims<batch, sequence, sequence>>, tensor<f32>, tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %o = llmc.matmul %g, %v : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
  return %r : tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
}

// -----

// Must not fire: the same computation with `ge` lets each query see the
// keys after it, which is no causal mask.
// CHECK-LABEL: func.func @computed_anticausal_mask
// CHECK-NOT: llmc.attention
// CHECK: llmc.softmax %{{.*}} {llmc.unraised = "attention not recognised: the query at position 0 sees key 1, a later position: not causal (at batch=2, sequence=3)"}
func.func @computed_anticausal_mask(%q: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %k: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %v: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>> {
  %ninf = llmc.constant dense<0xFF800000> : tensor<f32>
  %pos = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %rows = llmc.reshape %pos : tensor<?xi64, #llmc.dims<sequence>> -> tensor<?x1xi64, #llmc.dims<sequence>>
  %visible = llmc.compare ge, %pos, %rows : (tensor<?xi64, #llmc.dims<sequence>>, tensor<?x1xi64, #llmc.dims<sequence>>) -> tensor<?x?xi1, #llmc.dims<sequence, sequence>>
  %kt = llmc.transpose %k [0, 1, 3, 2] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>
  %s = llmc.matmul %q, %kt : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %m = llmc.select %visible, %s, %ninf : (tensor<?x?xi1, #llmc.dims<sequence, sequence>>, tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<f32>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %p = llmc.softmax %m axis 3 : tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %o = llmc.matmul %p, %v : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
  return %r : tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
}
