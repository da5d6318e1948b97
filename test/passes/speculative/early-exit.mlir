// RUN: llmc-opt %s "--llmc-early-exit=layers=1" | FileCheck %s
// RUN: not llmc-opt %s "--llmc-early-exit=layers=3" 2>&1 | FileCheck %s --check-prefix=BEYOND
// RUN: not llmc-opt %s "--llmc-early-exit=layers=0" 2>&1 | FileCheck %s --check-prefix=NONE

// BEYOND: error: llmc-early-exit: layers=3 is outside the model's 1..2 layers
// NONE: error: llmc-early-exit: layers=0 is outside the model's 1..2 layers

// Two pre-norm layers, then the final norm and the lm_head. With layers=1
// the residual stream entering layer 2 (its norm's input) feeds the final
// norm; layer 2's norm, projections, attention and MLP are gone, and the
// weights kept are the same constants.

// CHECK-LABEL: func.func @main
// CHECK: %[[FINAL:.*]] = llmc.constant dense<3.000000e+00> : tensor<8xf32>
// CHECK: %[[X:.*]] = llmc.embedding
// CHECK: %[[N1:.*]] = llmc.rms_norm %[[X]]
// CHECK: llmc.attention
// CHECK: %[[H1:.*]] = llmc.add %[[X]], %{{.*}}
// CHECK-NOT: llmc.attention
// CHECK: %[[OUT:.*]] = llmc.rms_norm %[[H1]], %[[FINAL]]
// CHECK: llmc.lm_head %[[OUT]]
// CHECK-NOT: llmc.attention
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>> {
  %table = llmc.constant dense<0.25> : tensor<32x8xf32>
  %w1 = llmc.constant dense<1.0> : tensor<8xf32>
  %w2 = llmc.constant dense<2.0> : tensor<8xf32>
  %final = llmc.constant dense<3.0> : tensor<8xf32>
  %wq = llmc.constant dense<0.5> : tensor<8x8xf32>
  %head = llmc.constant dense<0.125> : tensor<32x8xf32>
  %x = llmc.embedding %table[%ids] : (tensor<32x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %n1 = llmc.rms_norm %x, %w1 epsilon 1.0E-5 : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<8xf32>
  %q1 = llmc.linear %n1, %wq : (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<8x8xf32>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %r1 = llmc.reshape %q1 : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %a1 = llmc.attention %r1, %r1, %r1 causal : (tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %m1 = llmc.reshape %a1 : tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %h1 = llmc.add %x, %m1 : (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %n2 = llmc.rms_norm %h1, %w2 epsilon 1.0E-5 : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<8xf32>
  %q2 = llmc.linear %n2, %wq : (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<8x8xf32>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %r2 = llmc.reshape %q2 : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %a2 = llmc.attention %r2, %r2, %r2 causal : (tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %m2 = llmc.reshape %a2 : tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %h2 = llmc.add %h1, %m2 : (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %out = llmc.rms_norm %h2, %final epsilon 1.0E-5 : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<8xf32>
  %logits = llmc.lm_head %out, %head : (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<32x8xf32>) -> tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
  return %logits : tensor<?x?x32xf32, #llmc.dims<batch, sequence>>
}
