// RUN: llmc-opt %s --llmc-shard-tensor-parallel=ranks=2\ rank=1 | FileCheck %s --check-prefix=TP2
// RUN: llmc-opt %s --llmc-shard-tensor-parallel=ranks=4\ rank=3 | FileCheck %s --check-prefix=TP4
// RUN: not llmc-opt %s --llmc-shard-tensor-parallel=ranks=3\ rank=0 2>&1 | FileCheck %s --check-prefix=TP3
// RUN: not llmc-opt %s --llmc-shard-tensor-parallel=ranks=2\ rank=2 2>&1 | FileCheck %s --check-prefix=RANK

// One decode layer: 4 query heads and 2 KV heads of 1 dimension, a gated
// MLP of 4 hidden features, a vocabulary of 6.
//
// Rank 1 of 2: embedding rows 3..5, query heads 2 and 3 (rows 2..3 of Wq: 2.0 and 3.0), KV head
// 1, the cache of 1 KV head; o's input columns 2..3 without its bias (rank
// 0 adds it) and the sum over the ranks; gate and up rows 2..3, down
// columns 2..3, the sum; lm_head vocabulary rows 3..5 and the logits joined.
// TP2: module attributes {llmc.kv_cache = {kv_heads = 1 : i64, layers = 1 : i64}}
// TP2-LABEL: func.func @decode
// TP2-SAME: tensor<1x2x?x1x16x1xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// TP2-SAME: -> (tensor<?x?x6xf32, #llmc.dims<batch, sequence>>, tensor<1x2x?x1x16x1xf32, #llmc.dims<batch>>)
// The embedding: vocabulary rows 3..5; ids of rank 0's rows give zeros,
// and the sum over the ranks is every id's row.
// TP2: %[[FIRST:.*]] = llmc.constant dense<3> : tensor<i64>
// TP2: %[[LOCAL:.*]] = llmc.sub %arg0, %[[FIRST]]
// TP2: llmc.compare ge, %[[LOCAL]]
// TP2: llmc.compare lt, %[[LOCAL]]
// TP2: %[[MINE:.*]] = llmc.and
// TP2: %[[SAFE:.*]] = llmc.select %[[MINE]], %[[LOCAL]]
// TP2: %[[E:.*]] = llmc.embedding %{{.*}}[%[[SAFE]]] : (tensor<3x4xf32>
// TP2: %[[COLUMN:.*]] = llmc.reshape %[[MINE]] : tensor<?x?xi1, #llmc.dims<batch, sequence>> -> tensor<?x?x1xi1, #llmc.dims<batch, sequence>>
// TP2: %[[ROWS:.*]] = llmc.select %[[COLUMN]], %[[E]]
// TP2: %[[X:.*]] = llmc.all_reduce %[[ROWS]] ranks 2
// TP2: %[[WQ:.*]] = llmc.constant dense_resource<[[BLOBQ:.*]]> : tensor<2x4xf32>
// TP2: %[[Q:.*]] = llmc.linear %[[X]], %[[WQ]] : {{.*}} -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
// TP2: llmc.linear {{.*}} -> tensor<?x?x1xf32, #llmc.dims<batch, sequence>>
// TP2: llmc.linear {{.*}} -> tensor<?x?x1xf32, #llmc.dims<batch, sequence>>
// TP2: llmc.reshape %[[Q]] : tensor<?x?x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>
// TP2: llmc.kv_cache_read %arg1[0] before %arg2 : tensor<1x2x?x1x16x1xf32, #llmc.dims<batch>> -> tensor<?x?x1x1xf32, #llmc.dims<batch, past>>
// TP2: llmc.attention {{.*}} -> tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>
// TP2: %[[M:.*]] = llmc.reshape {{.*}} -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
// TP2: %[[O:.*]] = llmc.linear %[[M]], %{{.*}} : (tensor<?x?x2xf32, #llmc.dims<batch, sequence>>, tensor<4x2xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
// TP2: %[[OS:.*]] = llmc.all_reduce %[[O]] ranks 2
// TP2: %[[H:.*]] = llmc.add %{{.*}}, %[[OS]]
// TP2: %[[F:.*]] = llmc.gated_mlp silu %[[H]], %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x2xf32>
// TP2: %[[FS:.*]] = llmc.all_reduce %[[F]] ranks 2
// TP2: llmc.add %[[H]], %[[FS]]
// TP2: %[[L:.*]] = llmc.lm_head {{.*}} -> tensor<?x?x3xf32, #llmc.dims<batch, sequence>>
// TP2: %[[G:.*]] = llmc.all_gather %[[L]] axis 2 ranks 2 : tensor<?x?x3xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x6xf32, #llmc.dims<batch, sequence>>
// TP2: return %[[G]]
// Rows 2 and 3 of Wq, [2.0 x 4, 3.0 x 4], 8-byte aligned; Wo's columns 2
// and 3 (2, 3, 6, 7, 10, 11, 14, 15); down's columns 2 and 3 (3, 4, 7, 8,
// 11, 12, 15, 16).
// TP2: [[BLOBQ]]: "0x080000000000004000000040000000400000004000004040000040400000404000004040"
// TP2: "0x0800000000000040000040400000C0400000E04000002041000030410000604100007041"
// TP2: "0x0800000000004040000080400000E0400000004100003041000040410000704100008041"

// Rank 3 of 4: query head 3, which reads KV head 1 (each of the 2 KV heads
// is held by the 2 ranks whose queries read it); vocabulary rows 6..7 are
// padding, cut off after the join.
// TP4-LABEL: func.func @decode
// TP4: llmc.kv_cache_read %arg1[0] before %arg2 : tensor<1x2x?x1x16x1xf32, #llmc.dims<batch>>
// TP4: llmc.attention {{.*}} -> tensor<?x?x1x1xf32, #llmc.dims<batch, sequence>>
// TP4: %[[L:.*]] = llmc.lm_head {{.*}} -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
// TP4: %[[G:.*]] = llmc.all_gather %[[L]] axis 2 ranks 4 : tensor<?x?x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
// TP4: %[[S:.*]] = llmc.slice %[[G]] offsets [0, 0, 0] strides [1, 1, 1] : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x6xf32, #llmc.dims<batch, sequence>>
// TP4: return %[[S]]

// TP3: error: llmc-shard-tensor-parallel: layer 0: its 4 query heads do not divide among 3 ranks
// RANK: error: llmc-shard-tensor-parallel: rank 2 of ranks=2 (at least 2 ranks, rank 0 up to ranks - 1)

module attributes {llmc.kv_cache = {kv_heads = 2 : i64, layers = 1 : i64}} {
func.func @decode(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %cache: tensor<1x2x?x2x16x1xf32, #llmc.dims<batch>> {llmc.name = "cache"}, %pos: tensor<i64> {llmc.name = "position"}) -> (tensor<?x?x6xf32, #llmc.dims<batch, sequence>>, tensor<1x2x?x2x16x1xf32, #llmc.dims<batch>>) {
  %table = llmc.constant dense<0.5> : tensor<6x4xf32>
  %wq = llmc.constant dense<[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0]]> : tensor<4x4xf32>
  %wk = llmc.constant dense<[[4.0, 4.0, 4.0, 4.0], [5.0, 5.0, 5.0, 5.0]]> : tensor<2x4xf32>
  %wv = llmc.constant dense<[[6.0, 6.0, 6.0, 6.0], [7.0, 7.0, 7.0, 7.0]]> : tensor<2x4xf32>
  %wo = llmc.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 15.0]]> : tensor<4x4xf32>
  %bo = llmc.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %gate = llmc.constant dense<[[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0]]> : tensor<4x4xf32>
  %up = llmc.constant dense<[[5.0, 5.0, 5.0, 5.0], [6.0, 6.0, 6.0, 6.0], [7.0, 7.0, 7.0, 7.0], [8.0, 8.0, 8.0, 8.0]]> : tensor<4x4xf32>
  %down = llmc.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]> : tensor<4x4xf32>
  %head = llmc.constant dense<[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0], [5.0, 5.0, 5.0, 5.0]]> : tensor<6x4xf32>
  %x = llmc.embedding %table[%ids] : (tensor<6x4xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %q0 = llmc.linear %x, %wq : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %k0 = llmc.linear %x, %wk : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<2x4xf32>) -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
  %v0 = llmc.linear %x, %wv : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<2x4xf32>) -> tensor<?x?x2xf32, #llmc.dims<batch, sequence>>
  %q = llmc.reshape %q0 : tensor<?x?x4xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %k = llmc.reshape %k0 : tensor<?x?x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>
  %v = llmc.reshape %v0 : tensor<?x?x2xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>
  %pk, %pv = llmc.kv_cache_read %cache[0] before %pos : tensor<1x2x?x2x16x1xf32, #llmc.dims<batch>> -> tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>
  %a = llmc.attention %q, %k, %v past(%pk, %pv) causal : (tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>, tensor<?x?x2x1xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>>
  %c = llmc.kv_cache_write %k, %v into %cache[0] at %pos : tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x1xf32, #llmc.dims<batch, sequence>> -> tensor<1x2x?x2x16x1xf32, #llmc.dims<batch>>
  %m = llmc.reshape %a : tensor<?x?x4x1xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %o = llmc.linear %m, %wo, %bo : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %h = llmc.add %x, %o : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %f = llmc.gated_mlp silu %h, %gate, %up, %down : tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
  %h2 = llmc.add %h, %f : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4xf32, #llmc.dims<batch, sequence>>
  %logits = llmc.lm_head %h2, %head : (tensor<?x?x4xf32, #llmc.dims<batch, sequence>>, tensor<6x4xf32>) -> tensor<?x?x6xf32, #llmc.dims<batch, sequence>>
  return %logits, %c : tensor<?x?x6xf32, #llmc.dims<batch, sequence>>, tensor<1x2x?x2x16x1xf32, #llmc.dims<batch>>
}
}
