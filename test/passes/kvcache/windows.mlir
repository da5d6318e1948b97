// A sliding window reaches the entry points' attention ops; the cache
// holds max_seq positions unless every layer has a window, when it is a
// ring of the largest window's slots; shorter windows are rings inside a
// plane, several to one.
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

// Local and global layers (Gemma 2): a global layer takes a plane of
// max_seq slots; the local layers' rings of 256 slots share one, so 4
// layers need 3 planes, not 4.
// CHECK-LABEL: module attributes {llmc.kv_cache = {attention_layers = 4 : i64, {{.*}}layers = 3 : i64, {{.*}}max_seq = 1024 : i64, slots = 1024 : i64}}
// CHECK: func.func @prefill({{.*}}: tensor<3x2x?x4x1024x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// CHECK: llmc.kv_cache_read %{{.*}}[0] ring [0, 256] before
// CHECK: llmc.attention {{.*}} causal window 256 scale
// CHECK: llmc.kv_cache_write %{{.*}} into %{{.*}}[0] ring [0, 256] at
// CHECK: llmc.kv_cache_read %{{.*}}[1] before
// CHECK: llmc.attention {{.*}} causal scale
// CHECK: llmc.kv_cache_read %{{.*}}[0] ring [256, 256] before
// CHECK: llmc.kv_cache_read %{{.*}}[2] before
module {
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  %a = llmc.attention %q, %q, %q causal window 256 scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %a, %a causal scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %c = llmc.attention %b, %b, %b causal window 256 scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %d = llmc.attention %c, %c, %c causal scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %d : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}
}

// -----

// Prefill keeps the last position's logits: the slice goes before the
// lm_head also when a soft-cap chain follows it (Gemma 2), which then
// works on one position.
// CHECK-LABEL: module attributes {llmc.kv_cache = {attention_layers = 1 : i64, head_dim = 2 : i64
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
