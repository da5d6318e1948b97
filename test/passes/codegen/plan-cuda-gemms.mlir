// RUN: llmc-opt %s --plan-cuda-gemms --split-input-file | FileCheck %s

// Each call holding GEMMs gets one cuBLASLt epilogue per GEMM (0 none,
// 1 bias, 2 gelu, 3 gelu and bias) and f32 accumulation (compute 0).
// CHECK-LABEL: func.func @gemms
// CHECK: plan.call "linear"(%arg0, %arg1, %arg3) {params = {cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 1>}}
// CHECK: plan.call "linear"(%arg0, %arg1) {absent = array<i64: 2>, params = {cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 0>}}
// CHECK: plan.call "lm_head"(%arg0, %arg1) {params = {cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 0>}}
// CHECK: plan.call "linears"(%arg0, %arg1, %arg1, %arg3, %arg3) {params = {cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 1, 1>}}
// CHECK: plan.call "linears"(%arg0, %arg1, %arg1) {params = {cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 0, 0>}}
// CHECK: plan.call "gated_mlp"(%arg0, %arg2, %arg2, %arg4) {params = {activation = 0 : i64, cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 0, 0, 0>}}
func.func @gemms(%x: tensor<2x16xf16>, %w: tensor<8x16xf16>, %h: tensor<32x16xf16>, %b: tensor<8xf16>, %d: tensor<16x32xf16>)
    -> (tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x16xf16>) {
  %0 = plan.call "linear"(%x, %w, %b) : (tensor<2x16xf16>, tensor<8x16xf16>, tensor<8xf16>) -> tensor<2x8xf16>
  %1 = plan.call "linear"(%x, %w) {absent = array<i64: 2>} : (tensor<2x16xf16>, tensor<8x16xf16>) -> tensor<2x8xf16>
  %2 = plan.call "lm_head"(%x, %w) : (tensor<2x16xf16>, tensor<8x16xf16>) -> tensor<2x8xf16>
  %3:2 = plan.call "linears"(%x, %w, %w, %b, %b) : (tensor<2x16xf16>, tensor<8x16xf16>, tensor<8x16xf16>, tensor<8xf16>, tensor<8xf16>) -> (tensor<2x8xf16>, tensor<2x8xf16>)
  %4:2 = plan.call "linears"(%x, %w, %w) : (tensor<2x16xf16>, tensor<8x16xf16>, tensor<8x16xf16>) -> (tensor<2x8xf16>, tensor<2x8xf16>)
  %5 = plan.call "gated_mlp"(%x, %h, %h, %d) {params = {activation = 0 : i64}} : (tensor<2x16xf16>, tensor<32x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>) -> tensor<2x16xf16>
  return %0, %1, %2, %3#0, %3#1, %4#0, %4#1, %5 : tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x8xf16>, tensor<2x16xf16>
}

// -----

// An mlp takes cuBLASLt's GELU (the tanh approximation) as the up
// projection's epilogue only for activation 2 (gelu_tanh); with exact GELU
// (1) the activation stays a kernel of its own, as it does when the up
// weight is quantized (u8 codes: the weight-only kernels take it).
// CHECK-LABEL: func.func @mlps
// CHECK: plan.call "mlp"(%arg0, %arg1, %arg2, %arg3, %arg4) {params = {activation = 2 : i64, cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 3, 1>}}
// CHECK: plan.call "mlp"(%arg0, %arg1, %arg2) {absent = array<i64: 3, 4>, params = {activation = 2 : i64, cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 2, 0>}}
// CHECK: plan.call "mlp"(%arg0, %arg1, %arg2, %arg4) {absent = array<i64: 3>, params = {activation = 1 : i64, cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 0, 1>}}
// CHECK: plan.call "mlp"(%arg0, %arg5, %arg2) {absent = array<i64: 3, 4>, params = {activation = 2 : i64, cublaslt_compute = 0 : i64, cublaslt_epilogues = array<i64: 0, 0>}}
func.func @mlps(%x: tensor<2x16xf16>, %up: tensor<32x16xf16>, %down: tensor<16x32xf16>, %ub: tensor<32xf16>, %db: tensor<16xf16>, %q: tensor<32x16xui8>)
    -> (tensor<2x16xf16>, tensor<2x16xf16>, tensor<2x16xf16>, tensor<2x16xf16>) {
  %0 = plan.call "mlp"(%x, %up, %down, %ub, %db) {params = {activation = 2 : i64}} : (tensor<2x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>, tensor<32xf16>, tensor<16xf16>) -> tensor<2x16xf16>
  %1 = plan.call "mlp"(%x, %up, %down) {absent = array<i64: 3, 4>, params = {activation = 2 : i64}} : (tensor<2x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>) -> tensor<2x16xf16>
  %2 = plan.call "mlp"(%x, %up, %down, %db) {absent = array<i64: 3>, params = {activation = 1 : i64}} : (tensor<2x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>, tensor<16xf16>) -> tensor<2x16xf16>
  %3 = plan.call "mlp"(%x, %q, %down) {absent = array<i64: 3, 4>, params = {activation = 2 : i64}} : (tensor<2x16xf16>, tensor<32x16xui8>, tensor<16x32xf16>) -> tensor<2x16xf16>
  return %0, %1, %2, %3 : tensor<2x16xf16>, tensor<2x16xf16>, tensor<2x16xf16>, tensor<2x16xf16>
}
