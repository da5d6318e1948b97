// RUN: llmc-opt %s --llmc-compute-type --llmc-cleanup | FileCheck %s
// RUN: llmc-opt %s --llmc-compute-type=element-type=f16 --llmc-cleanup | FileCheck %s --check-prefix=F16
// RUN: not llmc-opt %s --llmc-compute-type=element-type=f8 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: for the --element-type option: Cannot find option named 'f8'

// Arguments, results, constants and every op result of f16/bf16 become
// f32; the weights' values are converted (1.5 and -2 in f16: 0x3E00,
// 0xC000; in bf16: 0x3FC0, 0xC000); an explicit cast to f16 keeps its
// rounding: a cast to f16 and back.
// CHECK-LABEL: func.func @narrow
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32, #llmc.dims<sequence>>, %{{.*}}: tensor<2xf32>) -> tensor<?x2xf32, #llmc.dims<sequence>>
// CHECK: %[[H:.*]] = llmc.constant dense_resource<f32> : tensor<2xf32>
// CHECK: %[[B:.*]] = llmc.constant dense_resource<f32_1> : tensor<2xf32>
// CHECK: %[[S:.*]] = llmc.add %[[X]], %[[H]] : (tensor<?x2xf32, #llmc.dims<sequence>>, tensor<2xf32>) -> tensor<?x2xf32, #llmc.dims<sequence>>
// CHECK: %[[R:.*]] = llmc.cast %[[B]] : tensor<2xf32> -> tensor<2xf16>
// CHECK: %[[W:.*]] = llmc.cast %[[R]] : tensor<2xf16> -> tensor<2xf32>
// CHECK: llmc.mul %[[S]], %[[W]]
// CHECK: f32: "0x400000000000C03F000000C0"
// CHECK: f32_1: "0x400000000000C03F000000C0"
func.func @narrow(%x: tensor<?x2xf16, #llmc.dims<sequence>>, %unused: tensor<2xbf16>) -> tensor<?x2xf16, #llmc.dims<sequence>> {
  %h = llmc.constant dense<[1.5, -2.0]> : tensor<2xf16>
  %b = llmc.constant dense<[1.5, -2.0]> : tensor<2xbf16>
  %s = llmc.add %x, %h : (tensor<?x2xf16, #llmc.dims<sequence>>, tensor<2xf16>) -> tensor<?x2xf16, #llmc.dims<sequence>>
  %c = llmc.cast %b : tensor<2xbf16> -> tensor<2xf16>
  %m = llmc.mul %s, %c : (tensor<?x2xf16, #llmc.dims<sequence>>, tensor<2xf16>) -> tensor<?x2xf16, #llmc.dims<sequence>>
  return %m : tensor<?x2xf16, #llmc.dims<sequence>>
}

// For the CUDA target, after quantization: f32 becomes f16. 0.1 rounds to
// f16 0x2E66 (0.0999756); a cast to bf16 (8 mantissa bits, fewer than f16's 11) keeps
// its rounding; a cast to f32 is a no-op in f16 and folds away.
// F16-LABEL: func.func @wide
// F16-SAME: (%[[X:.*]]: tensor<4xf16>) -> (tensor<4xf16>, tensor<4xf16>)
// F16: %[[C:.*]] = llmc.constant dense<9.997550e-02> : tensor<4xf16>
// F16: %[[S:.*]] = llmc.add %[[X]], %[[C]] : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>
// F16: %[[R:.*]] = llmc.cast %[[S]] : tensor<4xf16> -> tensor<4xbf16>
// F16: %[[B:.*]] = llmc.cast %[[R]] : tensor<4xbf16> -> tensor<4xf16>
// F16: return %[[B]], %[[S]] : tensor<4xf16>, tensor<4xf16>
func.func @wide(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %c = llmc.constant dense<0.1> : tensor<4xf32>
  %s = llmc.add %x, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = llmc.cast %s : tensor<4xf32> -> tensor<4xbf16>
  %b = llmc.cast %r : tensor<4xbf16> -> tensor<4xf32>
  %u = llmc.cast %s : tensor<4xf32> -> tensor<4xf32>
  return %b, %u : tensor<4xf32>, tensor<4xf32>
}

// A quantized weight keeps its storage format (fp8 codes, f32 scales): the
// kernels decode it whatever the compute type; the linear's float operands
// and result take the compute type.
// F16-LABEL: func.func @quantized
// F16: %[[Q:.*]] = llmc.qconstant dense<1.000000e+00> : tensor<2x4xf8E4M3FN> scales dense<5.000000e-01> : tensor<2x1xf32> : <2x4xf8E4M3FN, per_channel, scale f32>
// F16: llmc.linear %{{.*}}, %[[Q]] : (tensor<3x4xf16>, !llmc.qweight<2x4xf8E4M3FN, per_channel, scale f32>) -> tensor<3x2xf16>
func.func @quantized(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %q = llmc.qconstant dense<1.0> : tensor<2x4xf8E4M3FN> scales dense<0.5> : tensor<2x1xf32> : <2x4xf8E4M3FN, per_channel, scale f32>
  %y = llmc.linear %x, %q : (tensor<3x4xf32>, !llmc.qweight<2x4xf8E4M3FN, per_channel, scale f32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
