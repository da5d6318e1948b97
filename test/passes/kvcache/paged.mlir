// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" | FileCheck %s
// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" --llmc-lower-to-plan | FileCheck %s --check-prefix=PLAN
// RUN: not llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=6" 2>&1 | FileCheck %s --check-prefix=ODD
// RUN: not llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=32" 2>&1 | FileCheck %s --check-prefix=LARGE

// A paged cache (docs/kv-cache.md): a pool of blocks of 4 tokens that
// @prefill and @decode read and write through a block table of
// ceil(16 / 4) blocks per sequence, each sequence at its own position
// (RoPE rotates positions[b] + t), @prefill too (it may start after a
// cached prefix). The windowed layer keeps no ring.

// CHECK: module attributes {llmc.kv_cache = {attention_layers = 2 : i64, block_tokens = 4 : i64, head_dim = 8 : i64, kv_heads = 2 : i64, layers = 2 : i64, layout = "blocks, layers, k/v, kv_heads, block_tokens, head_dim", max_seq = 16 : i64, slots = 16 : i64}}
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: %[[CACHE:[a-z0-9]+]]: tensor<?x2x2x2x4x8xf32, #llmc.dims<kv_blocks>> {llmc.name = "cache"}, %[[POS:[a-z0-9]+]]: tensor<?xi64, #llmc.dims<batch>> {llmc.name = "positions"}, %[[BLOCKS:[a-z0-9]+]]: tensor<?x4xi32, #llmc.dims<batch>> {llmc.name = "blocks"}
// CHECK: %[[ROWS:.*]] = llmc.add %{{.*}}, %{{.*}} : {{.*}} -> tensor<?x?xi64, #llmc.dims<batch, sequence>>
// CHECK: llmc.rope half %{{.*}}, %[[ROWS]]
// CHECK: llmc.kv_cache_read %[[CACHE]][0] blocks %[[BLOCKS]] : tensor<?x4xi32, #llmc.dims<batch>> before %[[POS]] (tensor<?xi64, #llmc.dims<batch>>)
// CHECK: llmc.attention {{.*}} causal window 4
// CHECK: %[[C1:.*]] = llmc.kv_cache_write %{{.*}} into %[[CACHE]][0] blocks %[[BLOCKS]] : {{.*}} at %[[POS]]
// CHECK: llmc.kv_cache_read %[[C1]][1] blocks %[[BLOCKS]]
// CHECK-LABEL: func.func @decode
// CHECK-SAME: %{{[a-z0-9]+}}: tensor<?xi64, #llmc.dims<batch>> {llmc.name = "positions"}, %{{[a-z0-9]+}}: tensor<?x4xi32, #llmc.dims<batch>> {llmc.name = "blocks"}
// CHECK-NOT: ring
// CHECK: return

// PLAN-LABEL: func.func @decode
// PLAN: plan.call "cached_attention"(%{{.*}}, %{{.*}}, %{{.*}}, %arg1, %arg2, %arg3) {aliases = array<i64: -1, 3>, params = {causal, layer = 0 : i64, scale = {{.*}}, window = 4 : i64}}

// ODD: error: llmc-kv-cache: block-tokens 6 must be a power of two, at most max-seq (16)
// LARGE: error: llmc-kv-cache: block-tokens 32 must be a power of two, at most max-seq (16)

func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>> {
  %tokens = llmc.constant dense<0.25> : tensor<32x8xf32>
  %cos = llmc.constant dense<1.0> : tensor<16x4xf32>
  %sin = llmc.constant dense<0.0> : tensor<16x4xf32>
  %x = llmc.embedding %tokens[%ids] : (tensor<32x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %iota = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %q = llmc.reshape %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %k = llmc.concat %q, %q axis 2 : (tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %r = llmc.rope half %k, %cos, %sin, %iota : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<16x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  %a = llmc.attention %r, %r, %r causal window 4 : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %a, %a causal : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %y = llmc.reshape %b : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  return %y : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
}
