// RUN: llmc-opt %s --llmc-cut-pipeline-stage=stages=2\ stage=0 | FileCheck %s --check-prefix=FIRST
// RUN: llmc-opt %s --llmc-cut-pipeline-stage=stages=2\ stage=1 | FileCheck %s --check-prefix=LAST
// RUN: llmc-opt %s --llmc-cut-pipeline-stage=stages=3\ stage=1 | FileCheck %s --check-prefix=MIDDLE
// RUN: not llmc-opt %s --llmc-cut-pipeline-stage=stages=4\ stage=1 2>&1 | FileCheck %s --check-prefix=LAYERS
// RUN: not llmc-opt %s --llmc-cut-pipeline-stage=stages=2\ stage=2 2>&1 | FileCheck %s --check-prefix=STAGE

// Three decode layers; the last one's gated MLP has 16 hidden features,
// the others' 4. Weight bytes per layer: 480 (with the embedding), 384 and
// 1056 (with the lm_head), so two stages balance as layers 0-1 (864) and
// layer 2 (1056); the other cut would make 1440.
//
// The first stage: the embedding and layers 0 and 1, its cache of 2
// planes; it sends its residual stream to stage 1 and returns the cache
// only.
// FIRST: module attributes {llmc.kv_cache = {attention_layers = 2 : i64, kv_heads = 2 : i64, layers = 2 : i64}, llmc.pipeline = {first_layer = 0 : i64, layers = 2 : i64, stage = 0 : i64, stages = 2 : i64}}
// FIRST-LABEL: func.func @decode
// FIRST-SAME: %arg1: tensor<2x2x?x2x16x1xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// FIRST-SAME: -> tensor<2x2x?x2x16x1xf32, #llmc.dims<batch>>
// FIRST: llmc.embedding
// FIRST: llmc.kv_cache_read %arg1[0]
// FIRST: %[[C:.*]] = llmc.kv_cache_write {{.*}} into %{{.*}}[1]
// FIRST: %[[F:.*]] = llmc.gated_mlp
// FIRST-NEXT: %[[X:.*]] = llmc.add %{{.*}}, %[[F]]
// FIRST-NEXT: llmc.send %[[X]] to stage 1 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
// FIRST-NEXT: return %[[C]] : tensor<2x2x?x2x16x1xf32, #llmc.dims<batch>>
// FIRST-NOT: lm_head
//
// The last stage: layer 2 from the received residual stream, in plane 0
// of its own cache, and the logits.
// LAST: llmc.pipeline = {first_layer = 2 : i64, layers = 1 : i64, stage = 1 : i64, stages = 2 : i64}
// LAST-LABEL: func.func @decode
// LAST-SAME: -> (tensor<?x?x6xf32, #llmc.dims<batch, sequence>>, tensor<1x2x?x2x16x1xf32, #llmc.dims<batch>>)
// LAST-NOT: llmc.embedding
// LAST: %[[X:.*]] = llmc.recv from stage 0 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
// LAST: llmc.linear %[[X]], %{{.*}} : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>)
// LAST: llmc.kv_cache_read %arg1[0]
// LAST: %[[C:.*]] = llmc.kv_cache_write {{.*}} into %arg1[0]
// LAST: llmc.gated_mlp {{.*}} tensor<16x4xf32>
// LAST: %[[L:.*]] = llmc.lm_head
// LAST: return %[[L]], %[[C]]
//
// Three stages: one layer each; the middle one receives and sends.
// MIDDLE: llmc.pipeline = {first_layer = 1 : i64, layers = 1 : i64, stage = 1 : i64, stages = 3 : i64}
// MIDDLE: llmc.recv from stage 0
// MIDDLE: llmc.kv_cache_write {{.*}} into %arg1[0]
// MIDDLE: llmc.send {{.*}} to stage 2
// MIDDLE-NEXT: return
//
// LAYERS: error: llmc-cut-pipeline-stage: 4 pipeline stages need at least as many layers, and the model has 3
// STAGE: error: llmc-cut-pipeline-stage: stage 2 of stages=2 (at least 2 stages, stage 0 up to stages - 1)

module attributes {llmc.kv_cache = {attention_layers = 3 : i64, kv_heads = 2 : i64, layers = 3 : i64}} {
func.func @decode(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %cache: tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>> {llmc.name = "cache"}, %pos: tensor<i64> {llmc.name = "position"}) -> (tensor<?x?x6xf32, #llmc.dims<batch, sequence>>, tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>>) {
  %table = llmc.constant dense<0.5> : tensor<6x4xf32>
  %x0 = llmc.embedding %table[%ids] : (tensor<6x4xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %wq0 = llmc.constant dense<0.0> : tensor<4x4xf32>
  %wk0 = llmc.constant dense<0.5> : tensor<2x4xf32>
  %wo0 = llmc.constant dense<0.25> : tensor<4x4xf32>
  %q00 = llmc.linear %x0, %wq0 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %k00 = llmc.linear %x0, %wk0 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<2x4xf32>) -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
  %q0 = llmc.reshape %q00 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %k0 = llmc.reshape %k00 : tensor<?x?x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>
  %pk0, %pv0 = llmc.kv_cache_read %cache[0] before %pos : tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>
  %a0 = llmc.attention %q0, %k0, %k0 past(%pk0, %pv0) causal : (tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %c0 = llmc.kv_cache_write %k0, %k0 into %cache[0] at %pos : tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>> -> tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>>
  %m0 = llmc.reshape %a0 : tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %o0 = llmc.linear %m0, %wo0 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %h0 = llmc.add %x0, %o0 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %gate0 = llmc.constant dense<1.0> : tensor<4x4xf32>
  %up0 = llmc.constant dense<2.0> : tensor<4x4xf32>
  %down0 = llmc.constant dense<3.0> : tensor<4x4xf32>
  %f0 = llmc.gated_mlp silu %h0, %gate0, %up0, %down0 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
  %x1 = llmc.add %h0, %f0 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %wq1 = llmc.constant dense<1.0> : tensor<4x4xf32>
  %wk1 = llmc.constant dense<1.5> : tensor<2x4xf32>
  %wo1 = llmc.constant dense<1.25> : tensor<4x4xf32>
  %q01 = llmc.linear %x1, %wq1 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %k01 = llmc.linear %x1, %wk1 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<2x4xf32>) -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
  %q1 = llmc.reshape %q01 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %k1 = llmc.reshape %k01 : tensor<?x?x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>
  %pk1, %pv1 = llmc.kv_cache_read %c0[1] before %pos : tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>
  %a1 = llmc.attention %q1, %k1, %k1 past(%pk1, %pv1) causal : (tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %c1 = llmc.kv_cache_write %k1, %k1 into %c0[1] at %pos : tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>> -> tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>>
  %m1 = llmc.reshape %a1 : tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %o1 = llmc.linear %m1, %wo1 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %h1 = llmc.add %x1, %o1 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %gate1 = llmc.constant dense<1.0> : tensor<4x4xf32>
  %up1 = llmc.constant dense<2.0> : tensor<4x4xf32>
  %down1 = llmc.constant dense<3.0> : tensor<4x4xf32>
  %f1 = llmc.gated_mlp silu %h1, %gate1, %up1, %down1 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
  %x2 = llmc.add %h1, %f1 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %wq2 = llmc.constant dense<2.0> : tensor<4x4xf32>
  %wk2 = llmc.constant dense<2.5> : tensor<2x4xf32>
  %wo2 = llmc.constant dense<2.25> : tensor<4x4xf32>
  %q02 = llmc.linear %x2, %wq2 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %k02 = llmc.linear %x2, %wk2 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<2x4xf32>) -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
  %q2 = llmc.reshape %q02 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %k2 = llmc.reshape %k02 : tensor<?x?x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>
  %pk2, %pv2 = llmc.kv_cache_read %c1[2] before %pos : tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>
  %a2 = llmc.attention %q2, %k2, %k2 past(%pk2, %pv2) causal : (tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %c2 = llmc.kv_cache_write %k2, %k2 into %c1[2] at %pos : tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>> -> tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>>
  %m2 = llmc.reshape %a2 : tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %o2 = llmc.linear %m2, %wo2 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %h2 = llmc.add %x2, %o2 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %gate2 = llmc.constant dense<1.0> : tensor<16x4xf32>
  %up2 = llmc.constant dense<2.0> : tensor<16x4xf32>
  %down2 = llmc.constant dense<3.0> : tensor<4x16xf32>
  %f2 = llmc.gated_mlp silu %h2, %gate2, %up2, %down2 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<16x4xf32>, tensor<16x4xf32>, tensor<4x16xf32>
  %x3 = llmc.add %h2, %f2 : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %head = llmc.constant dense<0.75> : tensor<6x4xf32>
  %logits = llmc.lm_head %x3, %head : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<6x4xf32>) -> tensor<?x?x6xf32, #llmc.dims<batch, sequence>>
  return %logits, %c2 : tensor<?x?x6xf32, #llmc.dims<batch, sequence>>, tensor<3x2x?x2x16x1xf32, #llmc.dims<batch>>
}
}
