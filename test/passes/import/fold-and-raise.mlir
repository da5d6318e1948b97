// RUN: llmc-opt %s --llmc-fold-and-raise | FileCheck %s
// RUN: not llmc-opt %s "--llmc-fold-and-raise=max-rounds=1" 2>&1 | FileCheck %s --check-prefix=ROUNDS

// Rounds of fold-shapes, cleanup, raise and cleanup until one leaves the IR
// as it was: here the first raises the RMSNorm (and cleanup drops its
// primitive ops), the second changes nothing. With one round allowed, the
// IR is still changing when the rounds run out.

// CHECK-LABEL: func.func @rms_norm
// CHECK-NEXT: %[[N:.*]] = llmc.rms_norm %arg0, %arg1 epsilon 9.99999974E-6
// CHECK-NEXT: return %[[N]]
// ROUNDS: error: llmc-fold-and-raise: still changing after 1 rounds
func.func @rms_norm(%x: tensor<?x64xf32, #llmc.dims<sequence>>, %w: tensor<64xf32>) -> tensor<?x64xf32, #llmc.dims<sequence>> {
  %two = llmc.constant dense<2.0> : tensor<f32>
  %eps = llmc.constant dense<1.0e-5> : tensor<f32>
  %one = llmc.constant dense<1.0> : tensor<f32>
  %sq = llmc.pow %x, %two : (tensor<?x64xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  %mean = llmc.reduce_mean %sq [1] keep_dims : (tensor<?x64xf32, #llmc.dims<sequence>>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %sum = llmc.add %mean, %eps : (tensor<?x1xf32, #llmc.dims<sequence>>, tensor<f32>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %root = llmc.sqrt %sum : tensor<?x1xf32, #llmc.dims<sequence>>
  %inv = llmc.div %one, %root : (tensor<f32>, tensor<?x1xf32, #llmc.dims<sequence>>) -> tensor<?x1xf32, #llmc.dims<sequence>>
  %n = llmc.mul %x, %inv : (tensor<?x64xf32, #llmc.dims<sequence>>, tensor<?x1xf32, #llmc.dims<sequence>>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  %y = llmc.mul %n, %w : (tensor<?x64xf32, #llmc.dims<sequence>>, tensor<64xf32>) -> tensor<?x64xf32, #llmc.dims<sequence>>
  return %y : tensor<?x64xf32, #llmc.dims<sequence>>
}
