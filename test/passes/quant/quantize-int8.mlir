// RUN: llmc-opt %s --llmc-quantize-int8 | FileCheck %s
// RUN: llmc-opt %s "--llmc-quantize-int8=skip=lm_head,/mlp" | FileCheck %s --check-prefix=SKIP

// Every linear weight becomes si8 codes with one f32 scale per output row:
// the row [1, -2, 0.5, 4] has scale 4/127 and codes 32, -64, 16, 127
// (-63.5 rounds to even); an all-zero row keeps scale 1. A weight read
// through a [1, 0] transpose is quantized in its [out, in] layout, and the
// transpose goes.
// CHECK-LABEL: func.func @layers
// CHECK-NOT: llmc.transpose
// CHECK: %[[Q:.*]] = llmc.qconstant dense_resource<weight.q.codes> : tensor<2x4xsi8> scales dense_resource<weight.q.scales> : tensor<2x1xf32> : <2x4xsi8, per_channel, scale f32>
// CHECK: llmc.linear %{{.*}}, %[[Q]] : (tensor<3x4xf32>, !llmc.qweight<2x4xsi8, per_channel, scale f32>)
// CHECK: %[[T:.*]] = llmc.qconstant dense_resource<weight.q.codes_1>
// CHECK: llmc.linear %{{.*}}, %[[T]] : {{.*}}!llmc.qweight<2x4xsi8, per_channel, scale f32>
// CHECK: llmc.gated_mlp {{.*}} : tensor<3x4xf32>, !llmc.qweight<8x4xsi8, per_channel, scale f32>, !llmc.qweight<8x4xsi8, per_channel, scale f32>, !llmc.qweight<4x8xsi8, per_channel, scale f32>
// CHECK: llmc.lm_head {{.*}} !llmc.qweight<6x4xsi8, per_channel, scale f32>
// CHECK: weight.q.codes: "0x0800000020C0107F00000000"
// CHECK: weight.q.codes_1: "0x0800000012365B7F20405F7F"

// Skipped by name: the lm_head, and the gated MLP (its node name holds
// "/mlp"); the linears are still quantized.
// SKIP-LABEL: func.func @layers
// SKIP: llmc.linear {{.*}} !llmc.qweight<2x4xsi8
// SKIP: llmc.linear {{.*}} !llmc.qweight<2x4xsi8
// SKIP: llmc.gated_mlp {{.*}} : tensor<3x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>
// SKIP: llmc.lm_head {{.*}} : (tensor<3x4xf32>, tensor<6x4xf32>)
// RUN: llmc-opt %s "--llmc-quantize-int8=activations=dynamic skip=lm_head" | FileCheck %s --check-prefix=ACTS
// RUN: not llmc-opt %s "--llmc-quantize-int8=activations=static" 2>&1 | FileCheck %s --check-prefix=BAD

// With dynamic activations (W8A8), each quantized op says which inputs are
// rounded per token: a linear's input; a feed-forward op's input (gate,
// up) and its hidden activations (down); not an unquantized lm_head's.
// ACTS-LABEL: func.func @layers
// ACTS: llmc.linear {{.*}} {llmc.int8_act_dynamic} : {{.*}}!llmc.qweight<2x4xsi8
// ACTS: llmc.linear {{.*}} {llmc.int8_act_dynamic} : {{.*}}!llmc.qweight<2x4xsi8
// ACTS: llmc.gated_mlp {{.*}} {llmc.int8_act_dynamic, llmc.int8_hidden_act_dynamic}
// ACTS: llmc.lm_head
// ACTS-NOT: int8_act
// ACTS-SAME: tensor<6x4xf32>
// BAD: for the --activations option: Cannot find option named 'static'
func.func @layers(%x: tensor<3x4xf32>) -> tensor<3x6xf32> {
  %w = llmc.constant dense<[[1.0, -2.0, 0.5, 4.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %y = llmc.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32> loc("/attn/q_proj/MatMul")
  %t = llmc.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %wt = llmc.transpose %t [1, 0] : (tensor<4x2xf32>) -> tensor<2x4xf32>
  %z = llmc.linear %x, %wt : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32> loc("/attn/k_proj/MatMul")
  %g = llmc.constant dense<0.5> : tensor<8x4xf32>
  %u = llmc.constant dense<0.25> : tensor<8x4xf32>
  %d = llmc.constant dense<0.125> : tensor<4x8xf32>
  %m = llmc.gated_mlp silu %x, %g, %u, %d : tensor<3x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32> loc("/mlp/down_proj/MatMul")
  %e = llmc.constant dense<1.0> : tensor<6x4xf32>
  %l = llmc.lm_head %m, %e : (tensor<3x4xf32>, tensor<6x4xf32>) -> tensor<3x6xf32>
  return %l : tensor<3x6xf32>
}
