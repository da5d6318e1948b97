// RUN: llmc-opt %s --llmc-lower-to-plan --plan-fuse-add-norm | FileCheck %s

// The residual add feeding a norm fuses with it; its sum stays available
// for the next residual. A broadcasting add does not fuse.
// CHECK-LABEL: func.func @block
// CHECK: %[[F:.*]]:2 = plan.call "add_rms_norm"(%arg0, %arg1, %{{.*}}) {params = {epsilon = 9.99999974E-6 : f32}}
// CHECK: %[[G:.*]]:2 = plan.call "add_layer_norm"(%[[F]]#0, %[[F]]#1, %{{.*}}, %{{.*}}) {params = {epsilon = 9.99999974E-6 : f32}}
// CHECK: %[[B:.*]] = plan.call "add"(%[[G]]#1, %arg2)
// CHECK: plan.call "rms_norm"(%[[B]], %{{.*}})
// CHECK: return %[[F]]#0, %[[G]]#0
func.func @block(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>, %row: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %w = llmc.constant dense<1.0> : tensor<8xf32>
  %s = llmc.add %x, %y : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %n = llmc.rms_norm %s, %w epsilon 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>
  %t = llmc.add %s, %n : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %m = llmc.layer_norm %t, %w, %w epsilon 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>
  %b = llmc.add %m, %row : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %r = llmc.rms_norm %b, %w epsilon 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>
  return %s, %t, %r : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// Parallel residual (GPT-NeoX, Falcon 40B): two norms read one sum. Only
// the first fuses and the second reads its sum, whichever norm the
// rewriter visits first (fusing at the second one would leave the first
// reading a sum defined after it).
// CHECK-LABEL: func.func @parallel_residual
// CHECK: %[[F:.*]]:2 = plan.call "add_layer_norm"(%arg0, %arg1, %{{.*}}, %{{.*}})
// CHECK-NEXT: %[[M:.*]] = plan.call "layer_norm"(%[[F]]#0, %{{.*}}, %{{.*}})
// CHECK: return %[[F]]#0, %[[F]]#1, %[[M]]
func.func @parallel_residual(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %w = llmc.constant dense<1.0> : tensor<8xf32>
  %v = llmc.constant dense<2.0> : tensor<8xf32>
  %s = llmc.add %x, %y : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %a = llmc.layer_norm %s, %w, %w epsilon 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>
  %m = llmc.layer_norm %s, %v, %v epsilon 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>
  return %s, %a, %m : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}
