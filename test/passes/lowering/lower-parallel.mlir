// RUN: llmc-opt %s --llmc-lower-to-plan --plan-memory=max-batch=2 | FileCheck %s

// A middle pipeline stage of a tensor-parallel model: the hidden state
// arrives from stage 0, a row-parallel linear's partial sums are summed
// over the stage's 2 ranks, the vocabulary slices are joined, and the
// hidden state goes on to stage 2. Each op becomes a call of the kernel of
// its name, attributes as parameters; memory planning gives the results
// arena storage and keeps send, which has none.
// CHECK-LABEL: func.func @decode
// CHECK: %[[H:.*]] = plan.call "recv"() {offsets = array<i64: {{[0-9]+}}>, params = {stage = 0 : i64}} : () -> tensor<?x1x8xf32, #llmc.dims<batch>>
// CHECK: %[[P:.*]] = plan.call "linear"(%[[H]], %{{.*}})
// CHECK: %[[S:.*]] = plan.call "all_reduce"(%[[P]]) {offsets = array<i64: {{[0-9]+}}>, params = {ranks = 2 : i64}}
// CHECK: %[[L:.*]] = plan.call "lm_head"(%[[S]], %{{.*}})
// CHECK: %[[G:.*]] = plan.call "all_gather"(%[[L]]) {offsets = array<i64: {{[0-9]+}}>, params = {axis = 2 : i64, ranks = 2 : i64}} : (tensor<?x1x5xf32, #llmc.dims<batch>>) -> tensor<?x1x10xf32, #llmc.dims<batch>>
// CHECK: plan.call "send"(%[[S]]) {offsets = array<i64>, params = {stage = 2 : i64}} : (tensor<?x1x8xf32, #llmc.dims<batch>>) -> ()
// CHECK: return %[[G]]
func.func @decode(%ids: tensor<?x1xi64, #llmc.dims<batch>>) -> tensor<?x1x10xf32, #llmc.dims<batch>> {
  %w = llmc.constant dense<0.5> : tensor<8x8xf32>
  %vocab = llmc.constant dense<0.25> : tensor<5x8xf32>
  %h = llmc.recv from stage 0 : tensor<?x1x8xf32, #llmc.dims<batch>>
  %p = llmc.linear %h, %w : (tensor<?x1x8xf32, #llmc.dims<batch>>, tensor<8x8xf32>) -> tensor<?x1x8xf32, #llmc.dims<batch>>
  %s = llmc.all_reduce %p ranks 2 : tensor<?x1x8xf32, #llmc.dims<batch>>
  %l = llmc.lm_head %s, %vocab : (tensor<?x1x8xf32, #llmc.dims<batch>>, tensor<5x8xf32>) -> tensor<?x1x5xf32, #llmc.dims<batch>>
  %g = llmc.all_gather %l axis 2 ranks 2 : tensor<?x1x5xf32, #llmc.dims<batch>> -> tensor<?x1x10xf32, #llmc.dims<batch>>
  llmc.send %s to stage 2 : tensor<?x1x8xf32, #llmc.dims<batch>>
  return %g : tensor<?x1x10xf32, #llmc.dims<batch>>
}
