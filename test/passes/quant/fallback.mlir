// RUN: llmc-opt %s "--llmc-quantize-rtn=group-size=64" 2>&1 | FileCheck %s --check-prefix=INT8
// RUN: llmc-opt %s "--llmc-quantize-gptq=group-size=64 synthetic-calibration=16" 2>&1 | FileCheck %s --check-prefix=INT8
// RUN: llmc-opt %s "--llmc-quantize-awq=group-size=64 synthetic-calibration=16" 2>&1 | FileCheck %s --check-prefix=INT8
// RUN: llmc-opt %s "--llmc-quantize-rtn=group-size=64 fallback=fp32" 2>&1 | FileCheck %s --check-prefix=FP32
// RUN: not llmc-opt %s "--llmc-quantize-rtn=group-size=64 fallback=fp16" 2>&1 | FileCheck %s --check-prefix=BAD

// A weight whose 96 input features group size 64 does not divide is kept
// in int8 per output channel (llmc-quantize-int8's type), or with
// fallback=fp32 left as it is; one warning names it, once however many
// ops read it; the other weight is quantized in 4-bit groups. So do GPTQ
// and AWQ.
// INT8: warning: llmc-quantize-{{rtn|gptq|awq}}: group size 64 does not divide the input features of 1 weight, kept in int8 per output channel: /layers.0/o_proj/MatMul (96)
// INT8: llmc.qconstant {{.*}} : <4x96xsi8, per_channel, scale f32>
// INT8: llmc.qconstant {{.*}} : <4x128xui4, group 64, scale f16, zero ui4>
// FP32: warning: llmc-quantize-rtn: group size 64 does not divide the input features of 1 weight, kept in f32: /layers.0/o_proj/MatMul (96)
// FP32: llmc.constant dense<1.000000e+00> : tensor<4x96xf32>
// FP32-NOT: si8
// FP32: llmc.qconstant {{.*}} : <4x128xui4, group 64, scale f16, zero ui4>
// BAD: error: llmc-quantize-rtn: fallback 'fp16': expected int8, fp32 or error
func.func @two(%x: tensor<2x96xf32>, %h: tensor<2x128xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = llmc.constant dense<1.0> : tensor<4x96xf32>
  %y = llmc.linear %x, %w : (tensor<2x96xf32>, tensor<4x96xf32>) -> tensor<2x4xf32> loc("/layers.0/o_proj/MatMul")
  %z = llmc.linear %x, %w : (tensor<2x96xf32>, tensor<4x96xf32>) -> tensor<2x4xf32> loc("/layers.0/o_proj/MatMul")
  %v = llmc.constant dense<0.5> : tensor<4x128xf32>
  %u = llmc.linear %h, %v : (tensor<2x128xf32>, tensor<4x128xf32>) -> tensor<2x4xf32> loc("/layers.0/up/MatMul")
  return %y, %z, %u : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
