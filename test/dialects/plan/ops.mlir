// RUN: llmc-opt %s | llmc-opt | FileCheck %s

// The plan dialect round-trips: calls with parameters (a float, an
// integer, a flag, integer lists, an enum case), in-place aliases, absent
// operands and planned offsets; views.
// CHECK-LABEL: func.func @plan
// CHECK: %[[N:.*]] = plan.call "rms_norm"(%arg0, %arg1) {offsets = array<i64: 0>, params = {epsilon = 9.99999974E-6 : f32}} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK: %[[V:.*]] = plan.view %[[N]] : tensor<2x8xf32> -> tensor<2x2x4xf32>
// CHECK: plan.call "cumsum"(%[[V]]) {aliases = array<i64: 0>, params = {axis = 2 : i64, exclusive}} : (tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
// CHECK: plan.call "slice"(%{{.*}}) {params = {offsets = array<i64: 0, 1, 0>, strides = array<i64: 1, 1, 2>}} : (tensor<2x2x4xf32>) -> tensor<2x1x2xf32>
// CHECK: plan.call "mlp"(%arg0, %arg2, %arg2) {absent = array<i64: 3, 4>, offsets = array<i64: 64>, params = {activation = 1 : i64}}
func.func @plan(%x: tensor<2x8xf32>, %w: tensor<8xf32>, %m: tensor<8x8xf32>) -> (tensor<2x1x2xf32>, tensor<2x8xf32>) {
  %n = plan.call "rms_norm"(%x, %w) {offsets = array<i64: 0>, params = {epsilon = 1.0e-5 : f32}} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %v = plan.view %n : tensor<2x8xf32> -> tensor<2x2x4xf32>
  %s = plan.call "cumsum"(%v) {aliases = array<i64: 0>, params = {axis = 2, exclusive}} : (tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
  %t = plan.call "slice"(%s) {params = {offsets = array<i64: 0, 1, 0>, strides = array<i64: 1, 1, 2>}} : (tensor<2x2x4xf32>) -> tensor<2x1x2xf32>
  %o = plan.call "mlp"(%x, %m, %m) {absent = array<i64: 3, 4>, offsets = array<i64: 64>, params = {activation = 1}} : (tensor<2x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  return %t, %o : tensor<2x1x2xf32>, tensor<2x8xf32>
}
