// RUN: llmc-opt %s --llmc-cleanup --split-input-file | FileCheck %s
// RUN: llmc-opt %s --llmc-cleanup="cse=false" --split-input-file | FileCheck %s --check-prefix=NOCSE
// RUN: not llmc-opt %s --llmc-cleanup="max-iterations=1" --split-input-file 2>&1 | FileCheck %s --check-prefix=ITERATIONS
// ITERATIONS: error: llmc-cleanup did not converge in 1 iterations

// Constant arithmetic folds to one constant; unused constants disappear.
// CHECK-LABEL: func.func @fold_constants
// CHECK-NEXT: %[[C:.*]] = llmc.constant dense<[9.000000e+00, 1.600000e+01]> : tensor<2xf32>
// CHECK-NEXT: return %[[C]]
func.func @fold_constants() -> tensor<2xf32> {
  %a = llmc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = llmc.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %unused = llmc.constant dense<7.0> : tensor<2xf32>
  %sum = llmc.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %diff = llmc.sub %sum, %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %sq = llmc.mul %diff, %diff : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %r = llmc.sqrt %sq : tensor<2xf32>
  %q = llmc.div %sq, %r : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %p = llmc.mul %q, %q : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %s = llmc.sqrt %p : tensor<2xf32>
  %t = llmc.mul %s, %s : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %t : tensor<2xf32>
}

// -----

// Identities vanish: x + 0, 0 + x, x - 0, x * 1, x / 1, same-type cast,
// reshape, expand and slice, a one-input concat, an identity transpose, and
// neg(neg(x)).
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor
// CHECK-NOT: = llmc.
// CHECK: return %[[X]]
func.func @identities(%x: tensor<?x4xf32, #llmc.dims<sequence>>) -> tensor<?x4xf32, #llmc.dims<sequence>> {
  %zero = llmc.constant dense<0.0> : tensor<f32>
  %zeros = llmc.constant dense<0.0> : tensor<4xf32>
  %one = llmc.constant dense<1.0> : tensor<f32>
  %0 = llmc.add %x, %zero : (tensor<?x4xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %1 = llmc.add %zeros, %0 : (tensor<4xf32>, tensor<?x4xf32, #llmc.dims<sequence>>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %2 = llmc.sub %1, %zero : (tensor<?x4xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %3 = llmc.mul %2, %one : (tensor<?x4xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %4 = llmc.div %3, %one : (tensor<?x4xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %5 = llmc.cast %4 : tensor<?x4xf32, #llmc.dims<sequence>> -> tensor<?x4xf32, #llmc.dims<sequence>>
  %6 = llmc.reshape %5 : tensor<?x4xf32, #llmc.dims<sequence>> -> tensor<?x4xf32, #llmc.dims<sequence>>
  %7 = llmc.expand %6 : tensor<?x4xf32, #llmc.dims<sequence>> -> tensor<?x4xf32, #llmc.dims<sequence>>
  %8 = llmc.slice %7 offsets [0, 0] strides [1, 1] : tensor<?x4xf32, #llmc.dims<sequence>> -> tensor<?x4xf32, #llmc.dims<sequence>>
  %9 = llmc.concat %8 axis 1 : (tensor<?x4xf32, #llmc.dims<sequence>>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %10 = llmc.transpose %9 [0, 1] : (tensor<?x4xf32, #llmc.dims<sequence>>) -> tensor<?x4xf32, #llmc.dims<sequence>>
  %11 = llmc.neg %10 : tensor<?x4xf32, #llmc.dims<sequence>>
  %12 = llmc.neg %11 : tensor<?x4xf32, #llmc.dims<sequence>>
  return %12 : tensor<?x4xf32, #llmc.dims<sequence>>
}

// -----

// Chains compose: two reshapes become one, two transposes become one.
// CHECK-LABEL: func.func @chains
// CHECK-NEXT: %[[R:.*]] = llmc.reshape %{{.*}} : tensor<?x64xf32, #llmc.dims<sequence>> -> tensor<?x4x16xf32, #llmc.dims<sequence>>
// CHECK-NEXT: %[[T:.*]] = llmc.transpose %[[R]] [1, 0, 2]
// CHECK-NEXT: return %[[T]]
func.func @chains(%x: tensor<?x64xf32, #llmc.dims<sequence>>) -> tensor<4x?x16xf32, #llmc.dims<sequence>> {
  %0 = llmc.reshape %x : tensor<?x64xf32, #llmc.dims<sequence>> -> tensor<?x8x8xf32, #llmc.dims<sequence>>
  %1 = llmc.reshape %0 : tensor<?x8x8xf32, #llmc.dims<sequence>> -> tensor<?x4x16xf32, #llmc.dims<sequence>>
  %2 = llmc.transpose %1 [2, 1, 0] : (tensor<?x4x16xf32, #llmc.dims<sequence>>) -> tensor<16x4x?xf32, #llmc.dims<sequence>>
  %3 = llmc.transpose %2 [1, 2, 0] : (tensor<16x4x?xf32, #llmc.dims<sequence>>) -> tensor<4x?x16xf32, #llmc.dims<sequence>>
  return %3 : tensor<4x?x16xf32, #llmc.dims<sequence>>
}

// -----

// A constant reshaped at compile time becomes a constant of the new shape.
// CHECK-LABEL: func.func @reshape_constant
// CHECK-NEXT: llmc.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
func.func @reshape_constant() -> tensor<2x2xi64> {
  %c = llmc.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %r = llmc.reshape %c : tensor<4xi64> -> tensor<2x2xi64>
  return %r : tensor<2x2xi64>
}

// -----

// Identical computations are computed once (unless cse=false).
// CHECK-LABEL: func.func @cse
// CHECK-COUNT-1: llmc.rms_norm
// CHECK-NOT: llmc.rms_norm
// NOCSE-LABEL: func.func @cse
// NOCSE-COUNT-2: llmc.rms_norm
func.func @cse(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  %a = llmc.rms_norm %x, %w epsilon 1.0e-5 : tensor<4x64xf32>, tensor<64xf32>
  %b = llmc.rms_norm %x, %w epsilon 1.0e-5 : tensor<4x64xf32>, tensor<64xf32>
  %s = llmc.add %a, %b : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  return %s : tensor<4x64xf32>
}

// -----

// Must not fire: adding zero that broadcasts x changes its shape; scaling
// by 2 is not an identity; integer division is left to run time; different
// epsilons are different computations.
// CHECK-LABEL: func.func @keep
// CHECK: llmc.add
// CHECK: llmc.mul
// CHECK: llmc.div
// CHECK-COUNT-2: llmc.rms_norm
func.func @keep(%x: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>, tensor<2xi32>, tensor<4xf32>) {
  %zeros = llmc.constant dense<0.0> : tensor<3x4xf32>
  %two = llmc.constant dense<2.0> : tensor<f32>
  %0 = llmc.add %x, %zeros : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %1 = llmc.mul %x, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %i = llmc.constant dense<[7, 8]> : tensor<2xi32>
  %z = llmc.constant dense<[0, 2]> : tensor<2xi32>
  %2 = llmc.div %i, %z : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %a = llmc.rms_norm %x, %w epsilon 1.0e-5 : tensor<4xf32>, tensor<4xf32>
  %b = llmc.rms_norm %x, %w epsilon 1.0e-6 : tensor<4xf32>, tensor<4xf32>
  %3 = llmc.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<3x4xf32>, tensor<4xf32>, tensor<2xi32>, tensor<4xf32>
}

// -----

// A window of a dense literal folds to a literal (Shape with start/end,
// small tables).
// CHECK-LABEL: func.func @slice_constants
// CHECK-DAG: llmc.constant dense<[4, 5]> : tensor<2xi64>
// CHECK-DAG: llmc.constant dense<{{\[}}[2.000000e+00], [8.000000e+00]]> : tensor<2x1xf32>
func.func @slice_constants() -> (tensor<2xi64>, tensor<2x1xf32>) {
  %shape = llmc.constant dense<[3, 4, 5]> : tensor<3xi64>
  %table = llmc.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]> : tensor<3x3xf32>
  %tail = llmc.slice %shape offsets [1] strides [1] : tensor<3xi64> -> tensor<2xi64>
  %col = llmc.slice %table offsets [0, 1] strides [2, 1] : tensor<3x3xf32> -> tensor<2x1xf32>
  return %tail, %col : tensor<2xi64>, tensor<2x1xf32>
}

// -----

// Transposes of dense literals fold at compile time; a weight blob stays
// behind its transpose (no copy of the weights in the compiler; packing for
// the target reads through it).
// CHECK-LABEL: func.func @transpose_constants
// CHECK-DAG: llmc.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[BLOB:.*]] = llmc.constant dense_resource<w> : tensor<2x3xf32>
// CHECK: llmc.transpose %[[BLOB]] [1, 0]
func.func @transpose_constants() -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %a = llmc.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmc.constant dense_resource<w> : tensor<2x3xf32>
  %at = llmc.transpose %a [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %bt = llmc.transpose %b [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %at, %bt : tensor<3x2xf32>, tensor<3x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}

// -----

// PyTorch's dynamo exporter writes k.transpose(-1, -2) of a 4-D k through a
// 3-D batched transpose; it becomes one 4-D transpose (the [b, 1, h]
// grouping of the leading axes restored as [b, h]).
// CHECK-LABEL: func.func @unmerge_batched_transpose
// CHECK: %[[G:.*]] = llmc.reshape %arg0 : tensor<?x1x4x?x16xf32, #llmc.dims<batch, sequence>> -> tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>
// CHECK: %[[T:.*]] = llmc.transpose %[[G]] [0, 1, 3, 2]
// CHECK-NEXT: return %[[T]]
func.func @unmerge_batched_transpose(%k: tensor<?x1x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>> {
  %m = llmc.reshape %k : tensor<?x1x4x?x16xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x16xf32, #llmc.dims<?, sequence>>
  %t = llmc.transpose %m [0, 2, 1] : (tensor<?x?x16xf32, #llmc.dims<?, sequence>>) -> tensor<?x16x?xf32, #llmc.dims<?, sequence>>
  %r = llmc.reshape %t : tensor<?x16x?xf32, #llmc.dims<?, sequence>> -> tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>
  return %r : tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>
}

// -----

// A transpose that moves the leading axis is not a batched transpose.
// CHECK-LABEL: func.func @keep_transpose_of_rows
// CHECK: llmc.transpose %{{.*}} [1, 0, 2]
func.func @keep_transpose_of_rows(%k: tensor<2x4x8x16xf32>) -> tensor<4x2x8x16xf32> {
  %m = llmc.reshape %k : tensor<2x4x8x16xf32> -> tensor<8x8x16xf32>
  %t = llmc.transpose %m [1, 0, 2] : (tensor<8x8x16xf32>) -> tensor<8x8x16xf32>
  %r = llmc.reshape %t : tensor<8x8x16xf32> -> tensor<4x2x8x16xf32>
  return %r : tensor<4x2x8x16xf32>
}

// -----

// Flatten, linear on rows, unflatten: a linear on the last axis (of the
// heads merged back into features).
// CHECK-LABEL: func.func @unflatten_linear
// CHECK: %[[X:.*]] = llmc.reshape %arg0 : tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
// CHECK: %[[Y:.*]] = llmc.linear %[[X]], %arg1, %arg2 : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
// CHECK-NEXT: return %[[Y]]
func.func @unflatten_linear(%x: tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>> {
  %f = llmc.reshape %x : tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>> -> tensor<?x64xf32>
  %y = llmc.linear %f, %w, %b : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %r = llmc.reshape %y : tensor<?x32xf32> -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
  return %r : tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
}

// -----

// A zero bias (literal or blob) is no bias; a splat cast of a literal folds.
// CHECK-LABEL: func.func @zero_bias_and_casts
// CHECK-DAG: %[[F:.*]] = llmc.constant dense<1.600000e+01> : tensor<1xf32>
// CHECK-DAG: %[[L:.*]] = llmc.linear %arg0, %arg1 : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<4x2xf32>
// CHECK: %[[L2:.*]] = llmc.linear %[[L]], %arg2 : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
// CHECK: return %[[L2]], %[[F]]
func.func @zero_bias_and_casts(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>, %w2: tensor<2x2xf32>) -> (tensor<4x2xf32>, tensor<1xf32>) {
  %zero = llmc.constant dense<0.0> : tensor<2xf32>
  %blob = llmc.constant dense_resource<zeros> : tensor<2xf32>
  %y = llmc.linear %x, %w, %zero : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %z = llmc.linear %y, %w2, %blob : (tensor<4x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %i = llmc.constant dense<16> : tensor<1xi64>
  %f = llmc.cast %i : tensor<1xi64> -> tensor<1xf32>
  return %z, %f : tensor<4x2xf32>, tensor<1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      zeros: "0x040000000000000000000000"
    }
  }
#-}

// -----

// A nonzero bias stays.
// CHECK-LABEL: func.func @nonzero_bias
// CHECK: llmc.linear %arg0, %arg1, %{{.*}} :
func.func @nonzero_bias(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) -> tensor<4x2xf32> {
  %b = llmc.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %y = llmc.linear %x, %w, %b : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A slice from the end of a dense literal folds (the last two entries).
// CHECK-LABEL: func.func @slice_from_end_folds
// CHECK: %[[C:.*]] = llmc.constant dense<[3, 4]> : tensor<2xi64>
// CHECK-NEXT: return %[[C]]
func.func @slice_from_end_folds() -> tensor<2xi64> {
  %c = llmc.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %s = llmc.slice %c offsets [-2] strides [1] : tensor<4xi64> -> tensor<2xi64>
  return %s : tensor<2xi64>
}
