// RUN: llmc-opt %s --llmc-lower-to-plan --split-input-file -verify-diagnostics | FileCheck %s

// One decode layer: the cache read, attention and cache write become one
// in-place cached_attention (window and softcap as parameters, scale
// 1/sqrt(head_dim) when the op has none); reshapes become views; other ops calls of the
// kernel of their name, attributes as parameters.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %[[CACHE:.*]]: tensor<1x2x?x2x16x4xf32, #llmc.dims<batch>> {llmc.name = "cache"}, %[[POS:.*]]: tensor<i64> {llmc.name = "position"})
// CHECK: %[[X:.*]] = plan.call "embedding"(%{{.*}}, %[[IDS]])
// CHECK: %[[Q:.*]] = plan.view %[[X]] : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>
// CHECK: %[[ATT:.*]]:2 = plan.call "cached_attention"(%[[Q]], %[[Q]], %[[Q]], %[[CACHE]], %[[POS]]) {aliases = array<i64: -1, 3>, params = {causal, layer = 0 : i64, scale = 5.000000e-01 : f32, softcap = 3.000000e+01 : f32, window = 8 : i64}}
// CHECK: %[[N:.*]] = plan.call "rms_norm"(%{{.*}}, %{{.*}}) {params = {epsilon = 9.99999974E-6 : f32}}
// CHECK-NOT: llmc.kv_cache
// CHECK-NOT: llmc.attention
// CHECK: return %[[N]], %[[ATT]]#1
func.func @decode(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %cache: tensor<1x2x?x2x16x4xf32, #llmc.dims<batch>> {llmc.name = "cache"}, %pos: tensor<i64> {llmc.name = "position"}) -> (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<1x2x?x2x16x4xf32, #llmc.dims<batch>>) {
  %table = llmc.constant dense<0.5> : tensor<10x8xf32>
  %w = llmc.constant dense<1.0> : tensor<8xf32>
  %x = llmc.embedding %table[%ids] : (tensor<10x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %q = llmc.reshape %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>
  %k, %v = llmc.kv_cache_read %cache[0] before %pos : tensor<1x2x?x2x16x4xf32, #llmc.dims<batch>> -> tensor<?x?x2x4xf32, #llmc.dims<batch, past>>, tensor<?x?x2x4xf32, #llmc.dims<batch, past>>
  %a = llmc.attention %q, %q, %q past(%k, %v) causal window 8 softcap 30.0 : (tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, past>>, tensor<?x?x2x4xf32, #llmc.dims<batch, past>>) -> tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>
  %c = llmc.kv_cache_write %q, %q into %cache[0] at %pos : tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>> -> tensor<1x2x?x2x16x4xf32, #llmc.dims<batch>>
  %o = llmc.reshape %a : tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %n = llmc.rms_norm %o, %w epsilon 1.0e-5 : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<8xf32>
  return %n, %c : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<1x2x?x2x16x4xf32, #llmc.dims<batch>>
}

// -----

// A paged layer: the block table is the call's sixth operand (the cache a
// pool of blocks), checked as the plan's kernel contract declares it.
// CHECK-LABEL: func.func @paged
// CHECK: %[[ATT:.*]]:2 = plan.call "cached_attention"(%arg0, %arg0, %arg0, %arg1, %arg2, %arg3) {aliases = array<i64: -1, 3>, params = {causal, layer = 1 : i64, scale = 5.000000e-01 : f32}}
// CHECK: return %[[ATT]]#0, %[[ATT]]#1
func.func @paged(%q: tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, %cache: tensor<?x2x2x2x16x4xf32, #llmc.dims<kv_blocks>> {llmc.name = "cache"}, %pos: tensor<?xi64, #llmc.dims<batch>> {llmc.name = "positions"}, %blocks: tensor<?x4xi32, #llmc.dims<batch>> {llmc.name = "blocks"}) -> (tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x2x2x2x16x4xf32, #llmc.dims<kv_blocks>>) {
  %k, %v = llmc.kv_cache_read %cache[1] blocks %blocks : tensor<?x4xi32, #llmc.dims<batch>> before %pos (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x2x2x2x16x4xf32, #llmc.dims<kv_blocks>> -> tensor<?x?x2x4xf32, #llmc.dims<batch, past>>, tensor<?x?x2x4xf32, #llmc.dims<batch, past>>
  %a = llmc.attention %q, %q, %q past(%k, %v) causal : (tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, past>>, tensor<?x?x2x4xf32, #llmc.dims<batch, past>>) -> tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>
  %c = llmc.kv_cache_write %q, %q into %cache[1] blocks %blocks : tensor<?x4xi32, #llmc.dims<batch>> at %pos (tensor<?xi64, #llmc.dims<batch>>) : tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>> -> tensor<?x2x2x2x16x4xf32, #llmc.dims<kv_blocks>>
  return %a, %c : tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>, tensor<?x2x2x2x16x4xf32, #llmc.dims<kv_blocks>>
}

// -----

// A transposed weight is stored transposed (pre-packed), once.
// CHECK-LABEL: func.func @prepack
// CHECK: %[[W:.*]] = llmc.constant dense_resource<packed> : tensor<3x2xf32>
// CHECK: plan.call "linear"(%{{.*}}, %[[W]])
// CHECK-NOT: transpose
// The packed blob: 64-byte alignment, then 1 4 2 5 3 6 as little-endian f32.
// CHECK: packed: "0x400000000000803F00008040000000400000A040000040400000C040"
func.func @prepack(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = llmc.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %t = llmc.transpose %w [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %y = llmc.linear %x, %t : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Attention the KV-cache pass did not give a cache cannot be lowered.
func.func @uncached(%q: tensor<1x4x2x4xf32>) -> tensor<1x4x2x4xf32> {
  // expected-error @+1 {{llmc-lower-to-plan: attention must read its past from llmc.kv_cache_read (run llmc-kv-cache first)}}
  %a = llmc.attention %q, %q, %q causal : (tensor<1x4x2x4xf32>, tensor<1x4x2x4xf32>, tensor<1x4x2x4xf32>) -> tensor<1x4x2x4xf32>
  return %a : tensor<1x4x2x4xf32>
}

// -----

// An op with no kernel in the contract is refused (shape ops fold away
// before lowering).
func.func @no_kernel(%s: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{llmc-lower-to-plan: no kernel 'constant_of_shape' in the kernel contract (runtime/format/KernelContract.cpp)}}
  %0 = llmc.constant_of_shape %s, dense<0.0> : tensor<1xf32> : tensor<2xi64> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// An attribute with no kernel parameter form (a string) is refused, at
// the op, after the ops before it lowered (the conversion rolls back and
// names the one that failed).
func.func @string_attribute(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = llmc.neg %x : tensor<4xf32>
  // expected-error @+1 {{llmc-lower-to-plan: attribute 'note' of llmc.exp has no kernel parameter form}}
  %1 = llmc.exp %0 {note = "text"} : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// A cache read no attention consumes cannot be lowered on its own.
func.func @stray_read(%cache: tensor<1x2x1x2x16x4xf32>, %pos: tensor<i64>) -> tensor<1x?x2x4xf32, #llmc.dims<past>> {
  // expected-error @+1 {{llmc-lower-to-plan: a KV-cache access outside an attention layer}}
  %k, %v = llmc.kv_cache_read %cache[0] before %pos : tensor<1x2x1x2x16x4xf32> -> tensor<1x?x2x4xf32, #llmc.dims<past>>, tensor<1x?x2x4xf32, #llmc.dims<past>>
  return %k : tensor<1x?x2x4xf32, #llmc.dims<past>>
}
