// RUN: not llmc-opt %s "--llmc-quantize-rtn=group-size=64 fallback=error" --split-input-file 2>&1 | FileCheck %s
// RUN: not llmc-opt %s --llmc-quantize-rtn=group-size=48 --split-input-file 2>&1 | FileCheck %s --check-prefix=G48

// With fallback=error (llmc compile --strict) a group size that does not
// divide the input features is refused, naming the layer; so is one that
// is not a multiple of 32 (fallback.mlir: what the other fallbacks do).
// CHECK: error: loc("/layers.0/o_proj/MatMul"): llmc-quantize-rtn: layer '/layers.0/o_proj/MatMul': group size 64 does not divide its 96 input features (choose another --group-size, --skip this layer, or leave out --strict to keep it in int8)
// G48: llmc-quantize-rtn: layer '/layers.0/o_proj/MatMul': group size 48 is not supported (use a positive multiple of 32: 32, 64, 128, ...)
func.func @width(%x: tensor<2x96xf32>) -> tensor<2x4xf32> {
  %w = llmc.constant dense<1.0> : tensor<4x96xf32>
  %y = llmc.linear %x, %w : (tensor<2x96xf32>, tensor<4x96xf32>) -> tensor<2x4xf32> loc("/layers.0/o_proj/MatMul")
  return %y : tensor<2x4xf32>
}

// -----

// A weight that is already quantized is not quantized again.
// CHECK: errors.mlir:[[# @LINE + 3]]:8: error: llmc-quantize-rtn: layer 'lm_head': is already quantized ('!llmc.qweight<4x64xsi8, per_channel, scale f32>')
func.func @twice(%x: tensor<2x64xf32>) -> tensor<2x4xf32> {
  %q = llmc.qconstant dense<1> : tensor<4x64xsi8> scales dense<1.0> : tensor<4x1xf32> : <4x64xsi8, per_channel, scale f32>
  %y = llmc.lm_head %x, %q : (tensor<2x64xf32>, !llmc.qweight<4x64xsi8, per_channel, scale f32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
