// RUN: llmc-opt %s --llmc-raise=explain --split-input-file | FileCheck %s --check-prefix=RAISED
// RUN: llmc-opt %s --llmc-raise=explain --split-input-file 2>&1 >/dev/null | FileCheck %s

// With `explain`, each pattern that does not apply says why, as a remark at
// the op (what -debug-only would print, in a release LLVM too). x *
// sigmoid(y) is no SiLU: the multiply stays.
// CHECK: remark: llmc-raise: SiLU: not x * sigmoid(x)
// CHECK: remark: llmc-raise: GELU: not x * (1 + erf(x / sqrt 2)) * 0.5 nor its tanh form
// RAISED-LABEL: func.func @almost_silu
// RAISED: llmc.mul
func.func @almost_silu(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %s = llmc.sigmoid %y : tensor<4xf32>
  %m = llmc.mul %x, %s : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

// x * sigmoid(x) raises: no remark for the SiLU pattern.
// CHECK-NOT: SiLU: not
// RAISED-LABEL: func.func @silu
// RAISED: llmc.silu
func.func @silu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = llmc.sigmoid %x : tensor<4xf32>
  %m = llmc.mul %x, %s : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %m : tensor<4xf32>
}
