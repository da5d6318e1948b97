// RUN: llmc-opt %s --llmc-prune-heads='heads=0:1,2' | FileCheck %s
// RUN: llmc-opt %s --llmc-prune-heads='heads=0:1,2' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// REMARK: remark: llmc-prune-heads: layer 0: removed query heads 1,2 of 4, head_dim 2, output projection 'wo' input features on axis 1
// RUN: llmc-opt %s --llmc-prune-heads='heads=' | FileCheck %s --check-prefix=NONE
// RUN: llmc-opt %s --llmc-prune-heads='heads=0:1 unit=group' 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: llmc-opt %s --llmc-prune-heads='ratio=0.5 score=random seed=3' 2>&1 | FileCheck %s --check-prefix=RANDOM

// unit=group: KV group 1 goes with its query heads 2 and 3: the key and
// value projections keep the rows of kv head 0, their splits carry one kv
// head, the query side and Wo two query heads.
// GROUP: remark: llmc-prune-heads: layer 0: removed query heads 2,3 of 4 with KV groups 1 of 2, head_dim 2
// GROUP: module attributes {llmc.pruned_heads = "group:0:1"}
// GROUP: llmc.linear %arg0, %{{.*}}, %{{.*}} : (tensor<1x3x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
// GROUP: llmc.linear %arg0, %{{.*}} : (tensor<1x3x8xf32>, tensor<2x8xf32>) -> tensor<1x3x2xf32>
// GROUP: llmc.reshape %{{.*}} : tensor<1x3x2xf32> -> tensor<1x3x1x2xf32>
// GROUP: llmc.linear %arg0, %{{.*}} : (tensor<1x3x8xf32>, tensor<2x8xf32>) -> tensor<1x3x2xf32>
// GROUP: llmc.reshape %{{.*}} : tensor<1x3x2xf32> -> tensor<1x3x1x2xf32>
// GROUP: llmc.attention {{.*}} : (tensor<1x3x2x2xf32>, tensor<1x3x1x2xf32>, tensor<1x3x1x2xf32>) -> tensor<1x3x2x2xf32>
// GROUP: llmc.linear %{{.*}}, %{{.*}} : (tensor<1x3x4xf32>, tensor<8x4xf32>) -> tensor<1x3x8xf32>
// GROUP-NOT: tensor<4x8xf32>>
// GROUP: wq.pruned: "0x040000000000803F

// ratio: a seeded random ranking removes half the query heads, one from
// each group, and names them.
// RANDOM: remark: llmc-prune-heads: random ranks 2 of 4 query heads lowest: heads=0:1,3
// RANDOM: remark: llmc-prune-heads: layer 0: removed query heads 1,3 of 4
// RANDOM: llmc.attention {{.*}} -> tensor<1x3x2x2xf32>

// Grouped-query attention, 4 query heads of dimension 2 in 2 KV groups:
// heads 1 and 2 (one from each group) go. The query projection keeps the
// rows of heads 0 and 3 (and their biases), the output projection their
// columns; the head split, RoPE, attention and merge carry 2 heads; keys
// and values are untouched. The old weights are gone.
// CHECK-LABEL: func.func @main
// CHECK-NOT: tensor<8x8xf32>
// CHECK-DAG: %[[WQ:.*]] = llmc.constant dense_resource<wq.pruned> : tensor<4x8xf32>
// CHECK-DAG: %[[BQ:.*]] = llmc.constant dense_resource<bq.pruned> : tensor<4xf32>
// CHECK: %[[Q:.*]] = llmc.linear %arg0, %[[WQ]], %[[BQ]] : (tensor<1x3x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
// CHECK: %[[QS:.*]] = llmc.reshape %[[Q]] : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
// CHECK: llmc.reshape %{{.*}} : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
// CHECK: %[[QR:.*]] = llmc.rope half %[[QS]], {{.*}} : tensor<1x3x2x2xf32>
// CHECK: %[[A:.*]] = llmc.attention %[[QR]], {{.*}} -> tensor<1x3x2x2xf32>
// CHECK: %[[M:.*]] = llmc.reshape %[[A]] : tensor<1x3x2x2xf32> -> tensor<1x3x4xf32>
// CHECK: %[[WO:.*]] = llmc.constant dense_resource<wo.pruned> : tensor<8x4xf32>
// CHECK: llmc.linear %[[M]], %[[WO]] : (tensor<1x3x4xf32>, tensor<8x4xf32>) -> tensor<1x3x8xf32>
// The kept rows of Wq (heads 0, 3: rows 0, 1, 6, 7 of the diagonal 1..8),
// of bq (0.1, 0.2, 0.7, 0.8) and the kept columns of Wo (0, 1, 6, 7: 1, 2,
// 7, 8), as f32 bytes.
// CHECK: wq.pruned: "0x040000000000803F0000000000000000000000000000000000000000000000000000000000000000000000400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000E040000000000000000000000000000000000000000000000000000000000000000000000041"
// CHECK: bq.pruned: "0x04000000CDCCCC3DCDCC4C3E3333333FCDCC4C3F"
// CHECK: wo.pruned: "0x040000000000803F000000400000E04000000041
// NONE: llmc.constant dense_resource<wq> : tensor<8x8xf32>
// NONE: llmc.attention {{.*}} -> tensor<1x3x4x2xf32>

func.func @main(%x: tensor<1x3x8xf32>, %cos: tensor<16x1xf32>, %sin: tensor<16x1xf32>) -> tensor<1x3x8xf32> {
  %wq = llmc.constant dense_resource<wq> : tensor<8x8xf32>
  %bq = llmc.constant dense_resource<bq> : tensor<8xf32>
  %wk = llmc.constant dense<1.0> : tensor<4x8xf32>
  %wo = llmc.constant dense_resource<wo> : tensor<8x8xf32>
  %q = llmc.linear %x, %wq, %bq : (tensor<1x3x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<1x3x8xf32>
  %qs = llmc.reshape %q : tensor<1x3x8xf32> -> tensor<1x3x4x2xf32>
  %k = llmc.linear %x, %wk : (tensor<1x3x8xf32>, tensor<4x8xf32>) -> tensor<1x3x4xf32>
  %ks = llmc.reshape %k : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
  %v = llmc.linear %x, %wk : (tensor<1x3x8xf32>, tensor<4x8xf32>) -> tensor<1x3x4xf32>
  %vs = llmc.reshape %v : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
  %pos = llmc.iota : tensor<3xi64>
  %qr = llmc.rope half %qs, %cos, %sin, %pos : tensor<1x3x4x2xf32>, tensor<16x1xf32>, tensor<3xi64>
  %a = llmc.attention %qr, %ks, %vs causal : (tensor<1x3x4x2xf32>, tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x4x2xf32>
  %m = llmc.reshape %a : tensor<1x3x4x2xf32> -> tensor<1x3x8xf32>
  %o = llmc.linear %m, %wo : (tensor<1x3x8xf32>, tensor<8x8xf32>) -> tensor<1x3x8xf32>
  return %o : tensor<1x3x8xf32>
}

{-#
  dialect_resources: {
    builtin: {
      wq: "0x040000000000803F00000000000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000000000000404000000000000000000000000000000000000000000000000000000000000000000000804000000000000000000000000000000000000000000000000000000000000000000000A04000000000000000000000000000000000000000000000000000000000000000000000C04000000000000000000000000000000000000000000000000000000000000000000000E040000000000000000000000000000000000000000000000000000000000000000000000041",
      bq: "0x04000000CDCCCC3DCDCC4C3E9A99993ECDCCCC3E0000003F9A99193F3333333FCDCC4C3F",
      wo: "0x040000000000803F0000004000004040000080400000A0400000C0400000E040000000410000803F0000004000004040000080400000A0400000C0400000E040000000410000803F0000004000004040000080400000A0400000C0400000E040000000410000803F0000004000004040000080400000A0400000C0400000E040000000410000803F0000004000004040000080400000A0400000C0400000E040000000410000803F0000004000004040000080400000A0400000C0400000E040000000410000803F0000004000004040000080400000A0400000C0400000E040000000410000803F0000004000004040000080400000A0400000C0400000E04000000041"
    }
  }
#-}
