// The README's main job: llmc-cleanup on the shipped example layer.
// RUN: llmc-opt --llmc-cleanup %llmc_src/docs/examples/stories260k-layer.mlir | FileCheck %s

// CHECK-LABEL: func.func @stories260k_layer
// CHECK-NOT: llmc.constant
// CHECK-NOT: llmc.transpose
// CHECK-NOT: llmc.mul
// CHECK: %[[X:.*]] = llmc.embedding
// CHECK: %[[POS:.*]] = llmc.iota
// CHECK-NOT: llmc.iota
// CHECK: llmc.rope interleaved %{{.*}}, %{{.*}}, %{{.*}}, %[[POS]]
// CHECK: llmc.rope interleaved %{{.*}}, %{{.*}}, %{{.*}}, %[[POS]]
// CHECK: %[[ATTN:.*]] = llmc.attention %{{.*}}, %{{.*}}, %{{.*}} causal
// CHECK-NEXT: %[[FLAT:.*]] = llmc.reshape %[[ATTN]] : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
// CHECK-NEXT: %[[O:.*]] = llmc.linear %[[FLAT]]
// CHECK-NEXT: llmc.add %[[X]], %[[O]]
// CHECK: llmc.gated_mlp silu
// CHECK: llmc.lm_head
