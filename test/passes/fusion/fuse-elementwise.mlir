// RUN: llmc-opt %s --llmc-lower-to-plan --plan-fuse-elementwise | FileCheck %s

// GELU written out (0.5 x (1 + erf(x / sqrt 2))): five calls, one kernel.
// The program is triples (opcode, a, b): inputs by index, earlier results
// as -1, -2, ...; a unary op reads its operand twice: div = 3 (x / c0),
// erf = 15, add = 0 (+ c1), mul = 2 (x *), mul = 2 (* c2).
// CHECK-LABEL: func.func @gelu
// CHECK: %[[F:.*]] = plan.call "fused_elementwise"(%arg0, %[[C0:.*]], %[[C1:.*]], %[[C2:.*]]) {params = {program = array<i64: 3, 0, 1, 15, -1, -1, 0, -2, 2, 2, 0, -3, 2, -4, 3>}}
// CHECK-NEXT: return %[[F]]
func.func @gelu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = llmc.constant dense<1.41421354> : tensor<f32>
  %one = llmc.constant dense<1.0> : tensor<f32>
  %half = llmc.constant dense<0.5> : tensor<f32>
  %a = llmc.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %b = llmc.erf %a : tensor<2x8xf32>
  %c = llmc.add %b, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %d = llmc.mul %x, %c : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %e = llmc.mul %d, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %e : tensor<2x8xf32>
}

// -----

// What must not fuse: a result read twice, a broadcast to a larger shape,
// an integer op, and a kernel that is not elementwise.
// CHECK-LABEL: func.func @apart
// CHECK: %[[E:.*]] = plan.call "exp"(%arg0)
// CHECK: plan.call "mul"(%[[E]], %[[E]])
// CHECK: %[[R:.*]] = plan.call "neg"(%arg1)
// CHECK: plan.call "add"(%{{.*}}, %[[R]]) : (tensor<2x8xf32>, tensor<8xf32>)
// CHECK: plan.call "add"(%arg2, %arg2) : (tensor<4xi64>, tensor<4xi64>)
// CHECK: %[[S:.*]] = plan.call "softmax"
// CHECK: plan.call "exp"(%[[S]])
// CHECK-NOT: fused_elementwise
func.func @apart(%x: tensor<2x8xf32>, %row: tensor<8xf32>, %i: tensor<4xi64>) -> (tensor<2x8xf32>, tensor<4xi64>, tensor<2x8xf32>) {
  %e = llmc.exp %x : tensor<2x8xf32>
  %m = llmc.mul %e, %e : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %r = llmc.neg %row : tensor<8xf32>
  %a = llmc.add %m, %r : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %j = llmc.add %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %s = llmc.softmax %a axis 1 : tensor<2x8xf32>
  %t = llmc.exp %s : tensor<2x8xf32>
  return %a, %j, %t : tensor<2x8xf32>, tensor<4xi64>, tensor<2x8xf32>
}
