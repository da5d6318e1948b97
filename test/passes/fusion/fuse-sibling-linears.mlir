// RUN: llmc-opt %s --llmc-lower-to-plan --plan-fuse-sibling-linears | FileCheck %s

// q, k and v read one input: one `linears` call, weights in order, its
// results replacing theirs (the weight defined between them moves up).
// CHECK-LABEL: func.func @qkv
// CHECK-DAG: %[[WQ:.*]] = llmc.constant dense<1.000000e+00> : tensor<8x8xf32>
// CHECK-DAG: %[[WK:.*]] = llmc.constant dense<2.000000e+00> : tensor<4x8xf32>
// CHECK-DAG: %[[WV:.*]] = llmc.constant dense<3.000000e+00> : tensor<4x8xf32>
// CHECK: %[[F:.*]]:3 = plan.call "linears"(%arg0, %[[WQ]], %[[WK]], %[[WV]]) : (tensor<2x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<2x8xf32>, tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK-NOT: "linear"
// CHECK: plan.call "mul"(%[[F]]#1, %[[F]]#2)
// CHECK: return %[[F]]#0,
func.func @qkv(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x4xf32>) {
  %wq = llmc.constant dense<1.0> : tensor<8x8xf32>
  %q = llmc.linear %x, %wq : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %wk = llmc.constant dense<2.0> : tensor<4x8xf32>
  %k = llmc.linear %x, %wk : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  %wv = llmc.constant dense<3.0> : tensor<4x8xf32>
  %v = llmc.linear %x, %wv : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  %kv = llmc.mul %k, %v : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %q, %kv : tensor<2x8xf32>, tensor<2x4xf32>
}

// With biases: weights, then biases. A linear of another input, and one
// whose bias is computed after the first linear, stay apart.
// CHECK-LABEL: func.func @biased
// CHECK: %[[G:.*]]:2 = plan.call "linears"(%arg0, %[[W1:.*]], %[[W2:.*]], %[[B1:.*]], %[[B2:.*]]) :
// CHECK: %[[S:.*]] = plan.call "add"
// CHECK: plan.call "linear"(%arg0, %{{.*}}, %[[S]])
// CHECK: plan.call "linear"(%arg1,
func.func @biased(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>, %b: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = llmc.constant dense<1.0> : tensor<4x8xf32>
  %b1 = llmc.constant dense<0.5> : tensor<4xf32>
  %b2 = llmc.constant dense<0.25> : tensor<4xf32>
  %0 = llmc.linear %x, %w, %b1 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = llmc.linear %x, %w, %b2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %s = llmc.add %b, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = llmc.linear %x, %w, %s : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %3 = llmc.linear %y, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %0, %1, %2, %3 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
