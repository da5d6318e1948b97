// Layers with different kv heads (after llmc-prune-heads unit=group): a
// plane holds the most any layer has (4); layers with fewer share planes,
// packed first-fit by heads, so 4 layers of 4, 2, 2 and 1 kv heads take 3
// planes, not 4, and the cache shrinks with the heads removed. The cache
// ops say where each such layer's heads start (`head h`); the lowering
// passes it to cached_attention as head_offset.
// RUN: llmc-opt %s --llmc-kv-cache=max-seq=64 | FileCheck %s
// RUN: llmc-opt %s --llmc-kv-cache=max-seq=64 --llmc-lower-to-plan | FileCheck %s --check-prefix=PLAN

// CHECK-LABEL: module attributes {llmc.kv_cache = {attention_layers = 4 : i64, {{.*}}kv_heads = 4 : i64, layers = 3 : i64
// CHECK: func.func @decode({{.*}}: tensor<3x2x?x4x64x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// CHECK: llmc.kv_cache_read %{{.*}}[0] before {{.*}} -> tensor<?x?x4x8xf32
// CHECK: llmc.kv_cache_write %{{.*}} into %{{.*}}[0] at
// CHECK: llmc.kv_cache_read %{{.*}}[1, head 0] before {{.*}} -> tensor<?x?x2x8xf32
// CHECK: llmc.kv_cache_write %{{.*}} into %{{.*}}[1, head 0] at
// CHECK: llmc.kv_cache_read %{{.*}}[1, head 2] before {{.*}} -> tensor<?x?x2x8xf32
// CHECK: llmc.kv_cache_read %{{.*}}[2, head 0] before {{.*}} -> tensor<?x?x1x8xf32

// PLAN-LABEL: func.func @decode
// PLAN: plan.call "cached_attention"{{.*}}layer = 0 : i64
// PLAN-NOT: head_offset
// PLAN: plan.call "cached_attention"{{.*}}, head_offset = 0 : i64, layer = 1 : i64
// PLAN: plan.call "cached_attention"{{.*}}, head_offset = 2 : i64, layer = 1 : i64
// PLAN: plan.call "cached_attention"{{.*}}, head_offset = 0 : i64, layer = 2 : i64

module {
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %k2: tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, %k1: tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  %a = llmc.attention %q, %q, %q causal scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %k2, %k2 causal scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %c = llmc.attention %b, %k2, %k2 causal scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %d = llmc.attention %c, %k1, %k1 causal scale 0.5 : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %d : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}
}
