// A sliding window reaches the entry points' attention ops; the cache
// holds max_seq positions unless every layer has a window, when it is a
// ring of the largest window's slots.
// RUN: llmc-opt %s --llmc-kv-cache=max-seq=1024 --split-input-file | FileCheck %s

// Every layer windowed (Mistral): 256 slots, not 1024.
// CHECK-LABEL: module attributes {llmc.kv_cache = {{{.*}}layout = "layers, k/v, batch, kv_heads, slots, head_dim", max_seq = 1024 : i64, slots = 256 : i64}}
// CHECK: func.func @prefill({{.*}}: tensor<2x2x?x4x256x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// CHECK: llmc.attention {{.*}} causal window 256 scale
// CHECK: llmc.attention {{.*}} causal window 128 scale
// CHECK: func.func @decode({{.*}}: tensor<2x2x?x4x256x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}
module {
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  %a = llmc.attention %q, %q, %q causal window 256 scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %a, %a causal window 128 scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %b : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}
}

// -----

// Local and global layers (Gemma 2): every layer keeps max_seq slots.
// CHECK-LABEL: module attributes {llmc.kv_cache = {{{.*}}max_seq = 1024 : i64, slots = 1024 : i64}}
// CHECK: func.func @prefill({{.*}}: tensor<2x2x?x4x1024x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// CHECK: llmc.attention {{.*}} causal window 256 scale
// CHECK: llmc.attention {{.*}} causal scale
module {
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  %a = llmc.attention %q, %q, %q causal window 256 scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %a, %a causal scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %b : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}
}

// -----

// Prefill keeps the last position's logits: the slice goes before the
// lm_head also when a soft-cap chain follows it (Gemma 2), which then
// works on one position.
// CHECK-LABEL: module attributes {llmc.kv_cache = {head_dim = 2 : i64
// CHECK: func.func @prefill
// CHECK: %[[LAST:.*]] = llmc.slice %{{.*}} offsets [0, -1, 0] strides [1, 1, 1] : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x1x8xf32, #llmc.dims<batch>>
// CHECK: %[[L:.*]] = llmc.lm_head %[[LAST]], %{{.*}} : (tensor<?x1x8xf32, #llmc.dims<batch>>, tensor<16x8xf32>) -> tensor<?x1x16xf32, #llmc.dims<batch>>
// CHECK: %[[T:.*]] = llmc.tanh %[[L]] : tensor<?x1x16xf32, #llmc.dims<batch>>
// CHECK: return %[[T]]
module {
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x2xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>> {
  %w = llmc.constant dense<0.5> : tensor<16x8xf32>
  %a = llmc.attention %q, %q, %q causal scale 0.5 : (tensor<?x?x4x2xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x2xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x2xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x2xf32, #llmc.dims<batch, sequence>>
  %h = llmc.reshape %a : tensor<?x?x4x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %l = llmc.lm_head %h, %w : (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<16x8xf32>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  %t = llmc.tanh %l : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  return %t : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
}
}
