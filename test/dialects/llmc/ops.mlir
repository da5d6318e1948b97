// Round trip of every llmc op: print, re-parse, print again, and compare.
// RUN: llmc-opt %s | llmc-opt | FileCheck %s
// RUN: llmc-opt %s --mlir-print-op-generic | llmc-opt | FileCheck %s
// The printed form is a fixed point of parse + print.
// RUN: llmc-opt %s > %t.1 && llmc-opt %t.1 > %t.2 && diff %t.1 %t.2

// CHECK-LABEL: func.func @primitive
func.func @primitive(%x: tensor<?x?x64xf32, #llmc.dims<batch, sequence>>,
                     %ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>,
                     %w: tensor<64x64xf32>, %mask: tensor<256x256xf32>)
    -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>> {
  // CHECK: llmc.constant dense<2.000000e+00> : tensor<f32>
  %two = llmc.constant dense<2.0> : tensor<f32>
  // CHECK: llmc.add %{{.*}}, %{{.*}} : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %0 = llmc.add %x, %two : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.sub
  %1 = llmc.sub %0, %x : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.mul
  %2 = llmc.mul %1, %two : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.div
  %3 = llmc.div %2, %two : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.pow
  %4 = llmc.pow %3, %two : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.max
  %5 = llmc.max %4, %two : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.min
  %6 = llmc.min %5, %two : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.compare lt, %{{.*}}, %{{.*}} : ({{.*}}) -> tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  %c = llmc.compare lt, %6, %two : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  // CHECK: llmc.select
  %7 = llmc.select %c, %6, %two : (tensor<?x?x64xi1, #llmc.dims<batch, sequence>>, tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<f32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.neg
  %8 = llmc.neg %7 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.abs
  %9 = llmc.abs %8 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.exp
  %10 = llmc.exp %9 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.log
  %11 = llmc.log %10 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.sqrt
  %12 = llmc.sqrt %11 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.rsqrt
  %13 = llmc.rsqrt %12 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.reciprocal
  %14 = llmc.reciprocal %13 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.tanh
  %15 = llmc.tanh %14 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.erf
  %16 = llmc.erf %15 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.sigmoid
  %17 = llmc.sigmoid %16 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.cos
  %cs = llmc.cos %17 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.sin
  %sn = llmc.sin %cs : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.is_nan %{{.*}} : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  %nan = llmc.is_nan %sn : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  // CHECK: llmc.not %{{.*}} : tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  %notnan = llmc.not %nan : tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  // CHECK: llmc.and %{{.*}}, %{{.*}} : (tensor<?x?x64xi1, #llmc.dims<batch, sequence>>, tensor<?x?x64xi1, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  %both = llmc.and %notnan, %c : (tensor<?x?x64xi1, #llmc.dims<batch, sequence>>, tensor<?x?x64xi1, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  // CHECK: llmc.or
  %either = llmc.or %both, %nan : (tensor<?x?x64xi1, #llmc.dims<batch, sequence>>, tensor<?x?x64xi1, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xi1, #llmc.dims<batch, sequence>>
  // CHECK: llmc.cast %{{.*}} : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x64xf16, #llmc.dims<batch, sequence>>
  %h = llmc.cast %17 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x64xf16, #llmc.dims<batch, sequence>>
  // CHECK: llmc.matmul
  %18 = llmc.matmul %17, %w : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64x64xf32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.reduce_sum %{{.*}} [2] keep_dims : ({{.*}}) -> tensor<?x?x1xf32, #llmc.dims<batch, sequence>>
  %s = llmc.reduce_sum %18 [2] keep_dims : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x1xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.reduce_mean %{{.*}} [1, 2] : ({{.*}}) -> tensor<?xf32, #llmc.dims<batch>>
  %m = llmc.reduce_mean %18 [1, 2] : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?xf32, #llmc.dims<batch>>
  // CHECK: llmc.reduce_max
  %mx = llmc.reduce_max %18 [2] : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.softmax %{{.*}} axis 2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %19 = llmc.softmax %18 axis 2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.gather %{{.*}}[%{{.*}}] axis 0 : (tensor<64x64xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %g = llmc.gather %w[%ids] axis 0 : (tensor<64x64xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.gather_nd %{{.*}}[%{{.*}}] batch_dims 0 : (tensor<64x64xf32>, tensor<?x2xi64>) -> tensor<?xf32>
  %pairs = llmc.reshape %ids : tensor<?x?xi64, #llmc.dims<batch, sequence>> -> tensor<?x2xi64>
  %gnd = llmc.gather_nd %w[%pairs] batch_dims 0 : (tensor<64x64xf32>, tensor<?x2xi64>) -> tensor<?xf32>
  // CHECK: llmc.scatter_nd %{{.*}} into %{{.*}}[%{{.*}}] : (tensor<64x64xf32>, tensor<?x2xi64>, tensor<?xf32>) -> tensor<64x64xf32>
  %snd = llmc.scatter_nd %gnd into %w[%pairs] : (tensor<64x64xf32>, tensor<?x2xi64>, tensor<?xf32>) -> tensor<64x64xf32>
  // CHECK: llmc.cumsum %{{.*}} axis 1 exclusive reverse : tensor<?x?xi64, #llmc.dims<batch, sequence>>
  %cum = llmc.cumsum %ids axis 1 exclusive reverse : tensor<?x?xi64, #llmc.dims<batch, sequence>>
  // CHECK: llmc.cumsum %{{.*}} axis 0 : tensor<?x?xi64, #llmc.dims<batch, sequence>>
  %cum0 = llmc.cumsum %cum axis 0 : tensor<?x?xi64, #llmc.dims<batch, sequence>>
  // CHECK: llmc.reshape %{{.*}} : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %r = llmc.reshape %g : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.transpose %{{.*}} [0, 2, 1, 3] : ({{.*}}) -> tensor<?x8x?x8xf32, #llmc.dims<batch, sequence>>
  %t = llmc.transpose %r [0, 2, 1, 3] : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x8x?x8xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.concat %{{.*}}, %{{.*}} axis 2 : ({{.*}}) -> tensor<?x?x128xf32, #llmc.dims<batch, sequence>>
  %cat = llmc.concat %19, %g axis 2 : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x128xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.slice %{{.*}} offsets [0, 0] strides [1, 1] : tensor<256x256xf32> -> tensor<?x?xf32, #llmc.dims<sequence, sequence>>
  %causal = llmc.slice %mask offsets [0, 0] strides [1, 1] : tensor<256x256xf32> -> tensor<?x?xf32, #llmc.dims<sequence, sequence>>
  // CHECK: llmc.split %{{.*}} axis 2 : tensor<?x?x128xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>, tensor<?x?x96xf32, #llmc.dims<batch, sequence>>
  %p:2 = llmc.split %cat axis 2 : tensor<?x?x128xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>, tensor<?x?x96xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.slice %{{.*}} offsets [0, -1, 0] strides [1, 1, 1] : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x1x64xf32, #llmc.dims<batch>>
  %last = llmc.slice %x offsets [0, -1, 0] strides [1, 1, 1] : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x1x64xf32, #llmc.dims<batch>>
  // CHECK: llmc.trilu %{{.*}} k 0 : tensor<256x256xf32>
  %tril = llmc.trilu %mask k 0 : tensor<256x256xf32>
  // CHECK: llmc.trilu %{{.*}} upper k 1 : tensor<256x256xf32>
  %triu = llmc.trilu %mask upper k 1 : tensor<256x256xf32>
  // CHECK: llmc.split %{{.*}} axis 1 even : tensor<?x?x128xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x128xf32, #llmc.dims<batch, ?>>, tensor<?x?x128xf32, #llmc.dims<batch, ?>>
  %ev:2 = llmc.split %cat axis 1 even : tensor<?x?x128xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x128xf32, #llmc.dims<batch, ?>>, tensor<?x?x128xf32, #llmc.dims<batch, ?>>
  // CHECK: llmc.expand %{{.*}} : tensor<?x?xf32, #llmc.dims<sequence, sequence>> -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %e = llmc.expand %causal : tensor<?x?xf32, #llmc.dims<sequence, sequence>> -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  // CHECK: llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %pos = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  return %19 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
}

// CHECK-LABEL: func.func @transformer
func.func @transformer(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>,
                       %table: tensor<512x64xf32>, %norm: tensor<64xf32>,
                       %wq: tensor<64x64xf32>, %wk: tensor<32x64xf32>,
                       %bias: tensor<64xf32>,
                       %cos: tensor<512x4xf32>, %sin: tensor<512x4xf32>,
                       %past_k: tensor<?x?x4x8xf32, #llmc.dims<batch, past>>,
                       %keys: tensor<?x?xi64, #llmc.dims<batch, "past + sequence">>,
                       %past_v: tensor<?x?x4x8xf32, #llmc.dims<batch, past>>,
                       %w1: tensor<172x64xf32>, %w3: tensor<172x64xf32>,
                       %w2: tensor<64x172xf32>, %b172: tensor<172xf32>)
    -> tensor<?x?x512xf32, #llmc.dims<batch, sequence>> {
  // CHECK: llmc.embedding %{{.*}}[%{{.*}}] : (tensor<512x64xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %x = llmc.embedding %table[%ids] : (tensor<512x64xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.rms_norm %{{.*}}, %{{.*}} epsilon 9.99999974E-6 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>
  %n = llmc.rms_norm %x, %norm epsilon 1.0e-5 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>
  // CHECK: llmc.layer_norm %{{.*}}, %{{.*}}, %{{.*}} epsilon 9.99999974E-6 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>, tensor<64xf32>
  %ln = llmc.layer_norm %x, %norm, %bias epsilon 1.0e-5 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>, tensor<64xf32>
  // CHECK: llmc.layer_norm %{{.*}}, %{{.*}} epsilon
  %ln2 = llmc.layer_norm %x, %norm epsilon 1.0e-5 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64xf32>
  // CHECK: llmc.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %q = llmc.linear %n, %wq, %bias : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.linear %{{.*}}, %{{.*}} : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<32x64xf32>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
  %k = llmc.linear %n, %wk : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<32x64xf32>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
  %q4 = llmc.reshape %q : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %k4 = llmc.reshape %k : tensor<?x?x32xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %pos = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  // CHECK: llmc.rope interleaved %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<512x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  %qr = llmc.rope interleaved %q4, %cos, %sin, %pos : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<512x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  // CHECK: llmc.rope half
  %kr = llmc.rope half %k4, %cos, %sin, %pos : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<512x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  // CHECK: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} causal : ({{.*}}) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %a = llmc.attention %qr, %kr, %k4 causal : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} past(%{{.*}}, %{{.*}}) causal scale 1.250000e-01 : ({{.*}}) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %ap = llmc.attention %qr, %kr, %k4 past(%past_k, %past_v) causal scale 0.125 : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} causal window 4096 scale 1.250000e-01 softcap 5.000000e+01 : ({{.*}}) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %aw = llmc.attention %qr, %kr, %k4 causal window 4096 scale 0.125 softcap 50.0 : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} past(%{{.*}}, %{{.*}}) key_mask(%{{.*}}) causal : ({{.*}}) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %am = llmc.attention %qr, %kr, %k4 past(%past_k, %past_v) key_mask(%keys) causal : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?xi64, #llmc.dims<batch, "past + sequence">>) -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
  %a3 = llmc.reshape %ap : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.gated_mlp silu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<172x64xf32>, tensor<172x64xf32>, tensor<64x172xf32>
  %f = llmc.gated_mlp silu %a3, %w1, %w3, %w2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<172x64xf32>, tensor<172x64xf32>, tensor<64x172xf32>
  // CHECK: llmc.mlp gelu %{{.*}}, %{{.*}}, %{{.*}} biases(%{{.*}}, %{{.*}}) : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<172x64xf32>, tensor<64x172xf32>, tensor<172xf32>, tensor<64xf32>
  %fb = llmc.mlp gelu %f, %w1, %w2 biases(%b172, %bias) : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<172x64xf32>, tensor<64x172xf32>, tensor<172xf32>, tensor<64xf32>
  // CHECK: llmc.mlp silu %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<172x64xf32>, tensor<64x172xf32>
  %fm = llmc.mlp silu %fb, %w1, %w2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<172x64xf32>, tensor<64x172xf32>
  // CHECK: llmc.silu %{{.*}} : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %s = llmc.silu %fm : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.gelu %{{.*}} : tensor
  %g = llmc.gelu %s : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.gelu %{{.*}} tanh : tensor
  %gt = llmc.gelu %g tanh : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.lm_head %{{.*}}, %{{.*}} : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<512x64xf32>) -> tensor<?x?x512xf32, #llmc.dims<batch, sequence>>
  %logits = llmc.lm_head %gt, %table : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<512x64xf32>) -> tensor<?x?x512xf32, #llmc.dims<batch, sequence>>
  return %logits : tensor<?x?x512xf32, #llmc.dims<batch, sequence>>
}

// CHECK-LABEL: func.func @quantized
func.func @quantized(%x: tensor<?x64xf32, #llmc.dims<sequence>>) -> tensor<?x64xf32, #llmc.dims<sequence>> {
  // CHECK: llmc.qconstant dense<1> : tensor<64x64xui4> scales dense<5.000000e-01> : tensor<64x2xf16> zeros dense<8> : tensor<64x2xui4> : <64x64xui4, group 32, scale f16, zero ui4>
  %awq = llmc.qconstant dense<1> : tensor<64x64xui4> scales dense<0.5> : tensor<64x2xf16> zeros dense<8> : tensor<64x2xui4> : !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>
  // CHECK: llmc.qconstant dense<-3> : tensor<64x64xsi8> scales dense<1.000000e-01> : tensor<64x1xf32> : <64x64xsi8, per_channel, scale f32>
  %int8 = llmc.qconstant dense<-3> : tensor<64x64xsi8> scales dense<0.1> : tensor<64x1xf32> : !llmc.qweight<64x64xsi8, per_channel, scale f32>
  // CHECK: llmc.qconstant dense<1.000000e+00> : tensor<64x64xf8E4M3FN> scales dense<2.000000e+00> : tensor<1x1xf32> : <64x64xf8E4M3FN, per_tensor, scale f32>
  %fp8 = llmc.qconstant dense<1.0> : tensor<64x64xf8E4M3FN> scales dense<2.0> : tensor<1x1xf32> : !llmc.qweight<64x64xf8E4M3FN, per_tensor, scale f32>
  // CHECK: llmc.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32, #llmc.dims<sequence>>, !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  %0 = llmc.linear %x, %awq : (tensor<?x64xf32, #llmc.dims<sequence>>, !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  // CHECK: llmc.gated_mlp gelu_tanh %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x64xf32, #llmc.dims<sequence>>, !llmc.qweight<64x64xsi8, per_channel, scale f32>, !llmc.qweight<64x64xf8E4M3FN, per_tensor, scale f32>, !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>
  %1 = llmc.gated_mlp gelu_tanh %0, %int8, %fp8, %awq : tensor<?x64xf32, #llmc.dims<sequence>>, !llmc.qweight<64x64xsi8, per_channel, scale f32>, !llmc.qweight<64x64xf8E4M3FN, per_tensor, scale f32>, !llmc.qweight<64x64xui4, group 32, scale f16, zero ui4>
  // CHECK: llmc.dequantize %{{.*}} : <64x64xf8E4M3FN, per_tensor, scale f32> -> tensor<64x64xf32>
  %w = llmc.dequantize %fp8 : !llmc.qweight<64x64xf8E4M3FN, per_tensor, scale f32> -> tensor<64x64xf32>
  %2 = llmc.linear %1, %w : (tensor<?x64xf32, #llmc.dims<sequence>>, tensor<64x64xf32>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  return %2 : tensor<?x64xf32, #llmc.dims<sequence>>
}

// Shape computations as the importer emits them before llmc-fold-shapes.
// CHECK-LABEL: func.func @shape_computations
func.func @shape_computations(%x: tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, %mask: tensor<1x1x256x256xf32>) {
  // CHECK: llmc.shape_of %{{.*}} : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %shape = llmc.shape_of %x : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  // CHECK: llmc.dynamic_reshape %{{.*}}(%{{.*}}) : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %r = llmc.dynamic_reshape %x(%shape) : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: llmc.dynamic_expand %{{.*}}(%{{.*}}) : (tensor<1x1x256x256xf32>, tensor<3xi64>) -> tensor<1x?x?x?xf32>
  %e = llmc.dynamic_expand %mask(%shape) : (tensor<1x1x256x256xf32>, tensor<3xi64>) -> tensor<1x?x?x?xf32>
  %zero = llmc.constant dense<0> : tensor<i64>
  %one = llmc.constant dense<1> : tensor<i64>
  %starts = llmc.constant dense<[0, 0]> : tensor<2xi64>
  %axes = llmc.constant dense<[2, 3]> : tensor<2xi64>
  %steps = llmc.constant dense<1> : tensor<2xi64>
  // CHECK: llmc.dynamic_slice %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : (tensor<1x1x256x256xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<1x1x?x?xf32>
  %s = llmc.dynamic_slice %mask[%starts, %starts, %axes, %steps] : (tensor<1x1x256x256xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<1x1x?x?xf32>
  // CHECK: llmc.range %{{.*}}, %{{.*}}, %{{.*}} : tensor<i64> -> tensor<?xi64>
  %p = llmc.range %zero, %one, %one : tensor<i64> -> tensor<?xi64>
  // CHECK: llmc.constant_of_shape %{{.*}}, dense<1.000000e+00> : tensor<1xf32> : tensor<3xi64> -> tensor<?x?x?xf32>
  %c = llmc.constant_of_shape %shape, dense<1.0> : tensor<1xf32> : tensor<3xi64> -> tensor<?x?x?xf32>
  return
}

// Weights imported from ONNX are dense_resource blobs (not copied into the
// attribute, not printed unless asked); constants and quantized constants
// accept them like dense literals.
// CHECK-LABEL: func.func @resource_weights
// CHECK: llmc.constant dense_resource<w> : tensor<2x2xf32>
// CHECK: llmc.qconstant dense_resource<codes> : tensor<2x2xsi8> scales dense_resource<scales> : tensor<2x1xf32> : <2x2xsi8, per_channel, scale f32>
func.func @resource_weights(%x: tensor<?x2xf32, #llmc.dims<sequence>>) -> tensor<?x2xf32, #llmc.dims<sequence>> {
  %w = llmc.constant dense_resource<w> : tensor<2x2xf32>
  %q = llmc.qconstant dense_resource<codes> : tensor<2x2xsi8> scales dense_resource<scales> : tensor<2x1xf32> : !llmc.qweight<2x2xsi8, per_channel, scale f32>
  %0 = llmc.linear %x, %w : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<2x2xf32>) -> tensor<?x2xf32, #llmc.dims<sequence>>
  %1 = llmc.linear %0, %q : (tensor<?x2xf32, #llmc.dims<sequence>>, !llmc.qweight<2x2xsi8, per_channel, scale f32>) -> tensor<?x2xf32, #llmc.dims<sequence>>
  return %1 : tensor<?x2xf32, #llmc.dims<sequence>>
}

// CHECK-LABEL: func.func @kv_cache
// CHECK: %{{.*}}, %{{.*}} = llmc.kv_cache_read %arg0[1] before %arg2 : tensor<2x2x?x4x64x8xf32, #llmc.dims<batch>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>
// CHECK: llmc.kv_cache_write %arg1, %arg1 into %arg0[1] at %arg2 : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> -> tensor<2x2x?x4x64x8xf32, #llmc.dims<batch>>
func.func @kv_cache(%cache: tensor<2x2x?x4x64x8xf32, #llmc.dims<batch>>, %kv: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %pos: tensor<i64>) -> (tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<2x2x?x4x64x8xf32, #llmc.dims<batch>>) {
  %k, %v = llmc.kv_cache_read %cache[1] before %pos : tensor<2x2x?x4x64x8xf32, #llmc.dims<batch>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>
  %c = llmc.kv_cache_write %kv, %kv into %cache[1] at %pos : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> -> tensor<2x2x?x4x64x8xf32, #llmc.dims<batch>>
  return %k, %c : tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<2x2x?x4x64x8xf32, #llmc.dims<batch>>
}

// A paged cache: a pool of ? blocks of 16 tokens, 2 layers, and each
// sequence's 4 blocks (64 positions); one position per sequence.
// CHECK-LABEL: func.func @kv_cache_paged
// CHECK: llmc.kv_cache_read %arg0[1] blocks %arg3 : tensor<?x4xi32, #llmc.dims<batch>> before %arg2 (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x2x2x4x16x8xf32, #llmc.dims<kv_blocks>>
// CHECK: llmc.kv_cache_write %arg1, %arg1 into %arg0[1] blocks %arg3 : tensor<?x4xi32, #llmc.dims<batch>> at %arg2 (tensor<?xi64, #llmc.dims<batch>>)
func.func @kv_cache_paged(%cache: tensor<?x2x2x4x16x8xf32, #llmc.dims<kv_blocks>>, %kv: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %pos: tensor<?xi64, #llmc.dims<batch>>, %table: tensor<?x4xi32, #llmc.dims<batch>>) -> (tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x2x2x4x16x8xf32, #llmc.dims<kv_blocks>>) {
  %k, %v = llmc.kv_cache_read %cache[1] blocks %table : tensor<?x4xi32, #llmc.dims<batch>> before %pos (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x2x2x4x16x8xf32, #llmc.dims<kv_blocks>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>
  %c = llmc.kv_cache_write %kv, %kv into %cache[1] blocks %table : tensor<?x4xi32, #llmc.dims<batch>> at %pos (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x2x2x4x16x8xf32, #llmc.dims<kv_blocks>>
  return %k, %c : tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x2x2x4x16x8xf32, #llmc.dims<kv_blocks>>
}

// A paged cache of int8 codes: each block plane has a 17th row, its scale.
// CHECK-LABEL: func.func @kv_cache_paged_codes
// CHECK: llmc.kv_cache_read %arg0[1] blocks %arg3 : tensor<?x4xi32, #llmc.dims<batch>> before %arg2 (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x2x2x4x17x8xi8, #llmc.dims<kv_blocks>> -> tensor<?x?x4x8xf32
func.func @kv_cache_paged_codes(%cache: tensor<?x2x2x4x17x8xi8, #llmc.dims<kv_blocks>>, %kv: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %pos: tensor<?xi64, #llmc.dims<batch>>, %table: tensor<?x4xi32, #llmc.dims<batch>>) -> (tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x2x2x4x17x8xi8, #llmc.dims<kv_blocks>>) {
  %k, %v = llmc.kv_cache_read %cache[1] blocks %table : tensor<?x4xi32, #llmc.dims<batch>> before %pos (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x2x2x4x17x8xi8, #llmc.dims<kv_blocks>> -> tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>
  %c = llmc.kv_cache_write %kv, %kv into %cache[1] blocks %table : tensor<?x4xi32, #llmc.dims<batch>> at %pos (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x2x2x4x17x8xi8, #llmc.dims<kv_blocks>>
  return %k, %c : tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x2x2x4x17x8xi8, #llmc.dims<kv_blocks>>
}

// CHECK-LABEL: func.func @parallel
// CHECK: %[[H:.*]] = llmc.recv from stage 0 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
// CHECK: %[[S:.*]] = llmc.all_reduce %[[H]] ranks 2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
// CHECK: llmc.send %[[S]] to stage 2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
// CHECK: llmc.all_gather %arg0 axis 2 ranks 2 : tensor<?x1x256xf32, #llmc.dims<batch>> -> tensor<?x1x512xf32, #llmc.dims<batch>>
func.func @parallel(%part: tensor<?x1x256xf32, #llmc.dims<batch>>) -> tensor<?x1x512xf32, #llmc.dims<batch>> {
  %h = llmc.recv from stage 0 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %s = llmc.all_reduce %h ranks 2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  llmc.send %s to stage 2 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %logits = llmc.all_gather %part axis 2 ranks 2 : tensor<?x1x256xf32, #llmc.dims<batch>> -> tensor<?x1x512xf32, #llmc.dims<batch>>
  return %logits : tensor<?x1x512xf32, #llmc.dims<batch>>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040",
      codes: "0x0100000001FF02FE",
      scales: "0x040000000000003F0000803E"
    }
  }
#-}
