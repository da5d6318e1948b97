// RUN: llmc-translate --plan-to-cuda --split-input-file --verify-diagnostics %s -o /dev/null

// The numbering pass has not run.
func.func @unnumbered(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{has no cuda_kernel index: run plan-outline-cuda-kernels before the CUDA code generator}}
  %0 = plan.call "fused_elementwise"(%x) {params = {program = array<i64: 7, 0, 0>}} : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// An integer tensor has no place in a generated kernel.
func.func @integers(%x: tensor<8xi64>) -> tensor<8xi64> {
  // expected-error @+1 {{operand 0 has no CUDA storage type (f32, f16 or bf16)}}
  %0 = plan.call "fused_elementwise"(%x) {params = {cuda_kernel = 0, program = array<i64: 7, 0, 0>}} : (tensor<8xi64>) -> tensor<8xi64>
  return %0 : tensor<8xi64>
}

// -----

// Opcode 24 (gelu) does not fuse; 99 is nothing.
func.func @opcode(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{program step 0 has unknown opcode 99}}
  %0 = plan.call "fused_elementwise"(%x) {params = {cuda_kernel = 0, program = array<i64: 99, 0, 0>}} : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A step reading a result not yet computed, and an input that is not there.
func.func @operands(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{program step 0 reads operand -1, which is not defined before it}}
  %0 = plan.call "fused_elementwise"(%x) {params = {cuda_kernel = 0, program = array<i64: 0, 0, -1>}} : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @input(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{program step 0 reads operand 1, which is not defined before it}}
  %0 = plan.call "fused_elementwise"(%x) {params = {cuda_kernel = 0, program = array<i64: 0, 0, 1>}} : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
