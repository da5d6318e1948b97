// Each wrong request is refused naming the layer or head, and nothing is
// rewritten.
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:9' 2>&1 | FileCheck %s --check-prefix=NO-HEAD
// NO-HEAD: error: llmc-prune-heads: layer 0 has no head 9 (it has 4 query heads, 0 to 3)
// RUN: not llmc-opt %s --llmc-prune-heads='heads=2:0' 2>&1 | FileCheck %s --check-prefix=NO-LAYER
// NO-LAYER: error: llmc-prune-heads: layer 2 does not exist (the model has 1 attention layers, 0 to 0)
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:0,1,2,3' 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: llmc-prune-heads: layer 0: pruning every head would leave it without heads
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:0,1' 2>&1 | FileCheck %s --check-prefix=GROUPS
// GROUPS: error: llmc-prune-heads: layer 0: the query heads 0,1 take unequal numbers from its 2 KV groups of 2 (query heads inside each group must stay equal in number; --prune-unit group removes whole groups)
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:x' 2>&1 | FileCheck %s --check-prefix=HEAD-TEXT
// HEAD-TEXT: error: llmc-prune-heads: heads=0:x: 'x' in '0:x' is not a head number
// RUN: not llmc-opt %s --llmc-prune-heads='heads=zero' 2>&1 | FileCheck %s --check-prefix=LAYER-TEXT
// LAYER-TEXT: error: llmc-prune-heads: heads=zero: 'zero' is not layer:head,head,...
// Whole KV groups: one that does not exist, or all of them.
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:2 unit=group' 2>&1 | FileCheck %s --check-prefix=NO-GROUP
// NO-GROUP: error: llmc-prune-heads: layer 0 has no KV group 2 (it has 2, 0 to 1)
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:0,1 unit=group' 2>&1 | FileCheck %s --check-prefix=NO-GROUPS
// NO-GROUPS: error: llmc-prune-heads: layer 0: pruning every KV group would leave it without heads
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:0 unit=kv' 2>&1 | FileCheck %s --check-prefix=UNIT
// UNIT: error: llmc-prune-heads: unit 'kv' is not query or group
// A ratio: within [0, 1), not beside a list, evenly divisible when uniform,
// never below a layer's floor, measured on calibration data.
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=1.0 score=random' 2>&1 | FileCheck %s --check-prefix=RATIO
// RATIO: error: llmc-prune-heads: ratio 1.000000 is outside [0, 1): the share of query heads to remove
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=-0.5 unit=group score=random' 2>&1 | FileCheck %s --check-prefix=RATIO-NEG
// RATIO-NEG: error: llmc-prune-heads: ratio -0.500000 is outside [0, 1): the share of KV groups to remove
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.5 heads=0:1,2' 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: llmc-prune-heads: heads and ratio both choose what to remove: give one
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.25 score=random uniform=true' 2>&1 | FileCheck %s --check-prefix=UNEVEN
// UNEVEN: error: llmc-prune-heads: a ratio of 0.250000 of layer 0's 4 query heads is not a whole number of slices of 2 (one head from each KV group): uniform pruning cannot remove it evenly
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.25 unit=group score=random uniform=true' 2>&1 | FileCheck %s --check-prefix=UNEVEN-GROUPS
// UNEVEN-GROUPS: error: llmc-prune-heads: a ratio of 0.250000 of layer 0's 2 KV groups is not a whole number: uniform pruning cannot remove it evenly
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.75 score=random' 2>&1 | FileCheck %s --check-prefix=FLOOR
// FLOOR: error: llmc-prune-heads: a ratio of 0.750000 asks for 3 of 4 query heads, but keeping 1 per layer leaves 2 to remove
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.5 min-per-layer=0 score=random' 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: llmc-prune-heads: min-per-layer 0 would let a layer lose every head: keep 1 or more
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.5' 2>&1 | FileCheck %s --check-prefix=NO-CALIB
// NO-CALIB: error: llmc-prune-heads: score norm needs calibration data (calib or stats)
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.5 score=ablation' 2>&1 | FileCheck %s --check-prefix=NO-CALIB-ABLATION
// NO-CALIB-ABLATION: error: llmc-prune-heads: score ablation runs the model with each head masked: it needs calib (a statistics file cannot)
// RUN: not llmc-opt %s --llmc-prune-heads='ratio=0.5 score=gradient' 2>&1 | FileCheck %s --check-prefix=SCORE
// SCORE: error: llmc-prune-heads: score 'gradient' is not norm, ablation or random
// A pruned model is not pruned again.
// RUN: not llmc-opt %s --llmc-prune-heads='heads=0:1,2' --llmc-prune-heads='heads=0:0,3' 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: llmc-prune-heads: the model is already pruned (query:0:1,2): prune the original model once

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
