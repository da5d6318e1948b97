// RUN: llmc-opt %s --llmc-quantize-fp8 | FileCheck %s

// One f32 scale per output row maps its largest magnitude onto 448, E4M3's
// largest value: the row [448, -1, 0.0017, 200] keeps scale 1 and rounds
// to 448 (0x7E), -1 (0xB8), 2^-9 (0x01, the smallest subnormal) and 192
// (0x74: 200 lies halfway between 192 and 208, 0x75, and goes to the even
// code).
// The second row [0, 0, 0, -3] gets scale 3/448 and code 0xFE for -448.
// CHECK-LABEL: func.func @fp8
// CHECK: llmc.linear {{.*}} !llmc.qweight<2x4xf8E4M3FN, per_channel, scale f32>)
// CHECK: weight.q.codes: "0x080000007EB80174000000FE"
func.func @fp8(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = llmc.constant dense<[[448.0, -1.0, 0.0017, 200.0], [0.0, 0.0, 0.0, -3.0]]> : tensor<2x4xf32>
  %y = llmc.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// RUN: llmc-opt %s "--llmc-quantize-fp8=activations=static synthetic-calibration=64" | FileCheck %s --check-prefix=STATIC
// RUN: llmc-opt %s "--llmc-quantize-fp8=activations=dynamic" | FileCheck %s --check-prefix=DYNAMIC
// RUN: not llmc-opt %s "--llmc-quantize-fp8=activations=static" 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not llmc-opt %s "--llmc-quantize-fp8=activations=sometimes" 2>&1 | FileCheck %s --check-prefix=BAD

// With activations, each quantized op says how its input is rounded: a
// per-tensor scale from calibration (the largest input / 448), or per call.
// STATIC: llmc.linear {{.*}} {llmc.fp8_act_scale = {{[0-9.eE+-]+}} : f32}
// DYNAMIC: llmc.linear {{.*}} {llmc.fp8_act_dynamic}
// NODATA: llmc-quantize-fp8: layer 'llmc.linear': needs calibration data (the calib option; llmc compile --calib FILE)
// BAD: for the --activations option: Cannot find option named 'sometimes'
