// RUN: llmc-opt %s --plan-outline-cuda-kernels --split-input-file | FileCheck %s

// Calls with one program and the same operand types share a generated
// kernel; another program, another element type, or a single element where
// the other call has a full tensor each get their own. Other kernels are
// left alone.
// CHECK-LABEL: func.func @numbering
// CHECK: plan.call "fused_elementwise"(%arg0, %arg1) {params = {cuda_kernel = 0 : i64, program = array<i64: 0, 0, 1, 19, -1, -1>}}
// CHECK: plan.call "fused_elementwise"(%arg1, %arg0) {params = {cuda_kernel = 0 : i64, program = array<i64: 0, 0, 1, 19, -1, -1>}}
// CHECK: plan.call "fused_elementwise"(%arg0, %arg1) {params = {cuda_kernel = 1 : i64, program = array<i64: 2, 0, 1, 19, -1, -1>}}
// CHECK: plan.call "fused_elementwise"(%arg2, %arg2) {params = {cuda_kernel = 2 : i64, program = array<i64: 0, 0, 1, 19, -1, -1>}}
// CHECK: plan.call "fused_elementwise"(%arg0, %arg3) {params = {cuda_kernel = 3 : i64, program = array<i64: 0, 0, 1, 19, -1, -1>}}
// CHECK: plan.call "rms_norm"(%arg0, %arg1) {params = {epsilon = 9.99999974E-6 : f32}}
func.func @numbering(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %h: tensor<4x8xf16>, %s: tensor<f32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf16>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = plan.call "fused_elementwise"(%a, %b) {params = {program = array<i64: 0, 0, 1, 19, -1, -1>}} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = plan.call "fused_elementwise"(%b, %a) {params = {program = array<i64: 0, 0, 1, 19, -1, -1>}} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = plan.call "fused_elementwise"(%a, %b) {params = {program = array<i64: 2, 0, 1, 19, -1, -1>}} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %3 = plan.call "fused_elementwise"(%h, %h) {params = {program = array<i64: 0, 0, 1, 19, -1, -1>}} : (tensor<4x8xf16>, tensor<4x8xf16>) -> tensor<4x8xf16>
  %4 = plan.call "fused_elementwise"(%a, %s) {params = {program = array<i64: 0, 0, 1, 19, -1, -1>}} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %5 = plan.call "rms_norm"(%a, %b) {params = {epsilon = 1.0e-05 : f32}} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf16>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A lone float elementwise call (one plan-fuse-elementwise had nothing to
// chain with) becomes a one-step program; an integer add stays (it has a
// kernel of its own).
// CHECK-LABEL: func.func @lone
// CHECK: plan.call "fused_elementwise"(%arg0) {params = {cuda_kernel = 0 : i64, program = array<i64: 19, 0, 0>}} : (tensor<4x8xf16>) -> tensor<4x8xf16>
// CHECK: plan.call "add"(%arg1, %arg1) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
func.func @lone(%a: tensor<4x8xf16>, %i: tensor<4xi64>) -> (tensor<4x8xf16>, tensor<4xi64>) {
  %0 = plan.call "silu"(%a) : (tensor<4x8xf16>) -> tensor<4x8xf16>
  %1 = plan.call "add"(%i, %i) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0, %1 : tensor<4x8xf16>, tensor<4xi64>
}

// -----

// An operand broadcast along some axes (GPT-2's position embeddings added
// to its token embeddings) is first expanded to the result's shape, since a
// generated kernel reads each operand whole or as one element; a single
// element stays as it is.
// CHECK-LABEL: func.func @broadcast
// CHECK: %[[E:.*]] = plan.call "expand"(%arg1) : (tensor<8x16xf16>) -> tensor<2x8x16xf16>
// CHECK: plan.call "fused_elementwise"(%arg0, %[[E]]) {params = {cuda_kernel = 0 : i64, program = array<i64: 0, 0, 1>}}
// CHECK: plan.call "fused_elementwise"(%arg0, %arg2) {params = {cuda_kernel = 1 : i64, program = array<i64: 2, 0, 1>}}
func.func @broadcast(%x: tensor<2x8x16xf16>, %p: tensor<8x16xf16>, %s: tensor<f16>) -> (tensor<2x8x16xf16>, tensor<2x8x16xf16>) {
  %0 = plan.call "add"(%x, %p) : (tensor<2x8x16xf16>, tensor<8x16xf16>) -> tensor<2x8x16xf16>
  %1 = plan.call "mul"(%x, %s) : (tensor<2x8x16xf16>, tensor<f16>) -> tensor<2x8x16xf16>
  return %0, %1 : tensor<2x8x16xf16>, tensor<2x8x16xf16>
}
