// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16" | FileCheck %s

// @main's two causal attentions (no past) become @prefill and @decode over
// one cache [layers, k/v, batch, kv_heads, slots, head_dim]: each layer
// reads its plane's past before the position and writes its new keys and
// values at it (prefill: at position 0), and the module records the
// layout. @main is gone.

// CHECK: module attributes {llmc.kv_cache = {attention_layers = 2 : i64, head_dim = 8 : i64, kv_heads = 4 : i64, layers = 2 : i64, layout = "layers, k/v, batch, kv_heads, slots, head_dim", max_seq = 16 : i64, slots = 16 : i64}}
// CHECK-NOT: func.func @main
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: %[[CACHE:[a-z0-9]+]]: tensor<2x2x?x4x16x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// CHECK: %[[ZERO:.*]] = llmc.constant dense<0> : tensor<i64>
// CHECK: %[[K0:.*]], %[[V0:.*]] = llmc.kv_cache_read %[[CACHE]][0] before %[[ZERO]]
// CHECK: %[[A0:.*]] = llmc.attention %{{.*}} past(%[[K0]], %[[V0]]) causal
// CHECK: %[[C1:.*]] = llmc.kv_cache_write %{{.*}} into %[[CACHE]][0] at %[[ZERO]]
// CHECK: llmc.kv_cache_read %[[C1]][1] before %[[ZERO]]
// CHECK: llmc.kv_cache_write %{{.*}} into %[[C1]][1] at %[[ZERO]]
// CHECK-LABEL: func.func @decode
// CHECK-SAME: %[[DCACHE:[a-z0-9]+]]: tensor<2x2x?x4x16x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}, %[[POS:[a-z0-9]+]]: tensor<i64> {llmc.name = "position"}
// CHECK: llmc.kv_cache_read %[[DCACHE]][0] before %[[POS]]
// CHECK: llmc.kv_cache_write %{{.*}} into %[[DCACHE]][0] at %[[POS]]
// CHECK: llmc.kv_cache_read %{{.*}}[1] before %[[POS]]
// CHECK: llmc.kv_cache_write %{{.*}}[1] at %[[POS]]
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  %a = llmc.attention %q, %q, %q causal : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %a, %a causal : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %b : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}
