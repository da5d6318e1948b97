// RUN: llmc-opt %s | llmc-opt | FileCheck %s

// The plan dialect round-trips: calls with parameters, in-place aliases,
// absent operands and planned offsets; views.
// CHECK-LABEL: func.func @plan
// CHECK: %[[N:.*]] = plan.call "rms_norm"(%arg0, %arg1) {offsets = array<i64: 0>, params = {epsilon = 9.99999974E-6 : f32}} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK: %[[V:.*]] = plan.view %[[N]] : tensor<2x8xf32> -> tensor<2x2x4xf32>
// CHECK: plan.call "scale_in_place"(%[[V]]) {aliases = array<i64: 0>, params = {factors = array<i64: 1, 2>, flag}} : (tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
// CHECK: plan.call "mlp"(%arg0, %arg2, %arg2) {absent = array<i64: 3, 4>, offsets = array<i64: 64>}
func.func @plan(%x: tensor<2x8xf32>, %w: tensor<8xf32>, %m: tensor<8x8xf32>) -> (tensor<2x2x4xf32>, tensor<2x8xf32>) {
  %n = plan.call "rms_norm"(%x, %w) {offsets = array<i64: 0>, params = {epsilon = 1.0e-5 : f32}} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %v = plan.view %n : tensor<2x8xf32> -> tensor<2x2x4xf32>
  %s = plan.call "scale_in_place"(%v) {aliases = array<i64: 0>, params = {factors = array<i64: 1, 2>, flag}} : (tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
  %o = plan.call "mlp"(%x, %m, %m) {absent = array<i64: 3, 4>, offsets = array<i64: 64>} : (tensor<2x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  return %s, %o : tensor<2x2x4xf32>, tensor<2x8xf32>
}
