// RUN: llmc-opt %s --llmc-quantize-rtn=group-size=32 | FileCheck %s
// RUN: llmc-opt %s "--llmc-quantize-rtn=group-size=32 zero-point=false" | FileCheck %s --check-prefix=SYM
// RUN: llmc-opt %s "--llmc-quantize-rtn=group-size=64 skip=lm_head" | FileCheck %s --check-prefix=G64

// Groups of 32 inputs with zero points: the first group holds -3..12, so
// its scale is 1 (f16 0x3C00) and its zero point 3; the second is the same
// halved (scale 0.5, 0x3800, zero 3). Both give codes 0..15 twice.
// CHECK-LABEL: func.func @rtn
// CHECK: %[[Q:.*]] = llmc.qconstant {{.*}} : <1x64xui4, group 32, scale f16, zero ui4>
// CHECK: llmc.linear %{{.*}}, %[[Q]] : (tensor<2x64xf32>, !llmc.qweight<1x64xui4, group 32, scale f16, zero ui4>)
// CHECK: llmc.lm_head {{.*}} !llmc.qweight<4x64xui4, group 32, scale f16, zero ui4>
// CHECK: weight.q.codes: "0x08000000000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F"
// CHECK: weight.q.scales: "0x08000000003C0038"
// CHECK: weight.q.zeros: "0x080000000303"

// Symmetric: si4 codes, no zero points.
// SYM: llmc.linear {{.*}} !llmc.qweight<1x64xsi4, group 32, scale f16>)
// SYM: llmc.lm_head {{.*}} !llmc.qweight<4x64xsi4, group 32, scale f16>)

// Group 64, and the lm_head left in f32.
// G64: llmc.linear {{.*}} !llmc.qweight<1x64xui4, group 64, scale f16, zero ui4>)
// G64: llmc.lm_head {{.*}} : (tensor<2x64xf32>, tensor<4x64xf32>)
func.func @rtn(%x: tensor<2x64xf32>) -> tensor<2x4xf32> {
  %w = llmc.constant dense<[[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0]]> : tensor<1x64xf32>
  %y = llmc.linear %x, %w : (tensor<2x64xf32>, tensor<1x64xf32>) -> tensor<2x1xf32>
  %e = llmc.constant dense<0.75> : tensor<4x64xf32>
  %l = llmc.lm_head %x, %e : (tensor<2x64xf32>, tensor<4x64xf32>) -> tensor<2x4xf32>
  return %l : tensor<2x4xf32>
}
