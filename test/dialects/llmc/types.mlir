// The quantized weight type and the symbolic-dimension encoding round-trip,
// and each quantization scheme llmc targets is expressible.
// RUN: llmc-opt %s | llmc-opt | FileCheck %s

// CHECK-LABEL: func.func @schemes
// CHECK-SAME: !llmc.qweight<4096x4096xui4, group 128, scale f16, zero ui4>
// CHECK-SAME: !llmc.qweight<4096x4096xsi4, group 128, scale f16>
// CHECK-SAME: !llmc.qweight<4096x11008xsi8, per_channel, scale f32>
// CHECK-SAME: !llmc.qweight<4096x4096xf8E4M3FN, per_tensor, scale f32>
// CHECK-SAME: !llmc.qweight<64x192xf8E5M2, per_channel, scale bf16>
// CHECK-SAME: !llmc.qweight<64x192xui8, group 64, scale f32, zero f16>
func.func @schemes(%awq: !llmc.qweight<4096x4096xui4, group 128, scale f16, zero ui4>,
                   %gptq: !llmc.qweight<4096x4096xsi4, group 128, scale f16>,
                   %int8: !llmc.qweight<4096x11008xsi8, per_channel, scale f32>,
                   %fp8: !llmc.qweight<4096x4096xf8E4M3FN, per_tensor, scale f32>,
                   %e5m2: !llmc.qweight<64x192xf8E5M2, per_channel, scale bf16>,
                   %float_zero: !llmc.qweight<64x192xui8, group 64, scale f32, zero f16>) {
  return
}

// CHECK-LABEL: func.func @dims
// CHECK-SAME: tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
// CHECK-SAME: tensor<1x?xi64, #llmc.dims<sequence>>
// CHECK-SAME: tensor<?x?x4x8xf16, #llmc.dims<batch, ?>>
// CHECK-SAME: tensor<?x?xf32, #llmc.dims<"kv total", sequence>>
// CHECK-SAME: tensor<?x8xf32>
func.func @dims(%a: tensor<?x?x64xf32, #llmc.dims<batch, sequence>>,
                %b: tensor<1x?xi64, #llmc.dims<sequence>>,
                %c: tensor<?x?x4x8xf16, #llmc.dims<batch, ?>>,
                %d: tensor<?x?xf32, #llmc.dims<"kv total", sequence>>,
                %e: tensor<?x8xf32>) {
  return
}
