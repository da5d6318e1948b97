// RUN: llmc-opt %s --llmc-lower-to-plan --plan-memory=max-batch=2 --split-input-file -verify-diagnostics | FileCheck %s

// A chain a -> b -> c of 256-byte buffers: c reuses a's bytes once a is dead,
// b (alive with both) gets its own; the arena is their peak, 512 bytes.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: attributes {plan.arena_bytes = 512 : i64, plan.max_batch = 2 : i64, plan.max_seq = 2048 : i64}
// CHECK: plan.call "neg"(%{{.*}}) {offsets = array<i64: 0>}
// CHECK: plan.call "exp"(%{{.*}}) {offsets = array<i64: 256>}
// CHECK: plan.call "neg"(%{{.*}}) {offsets = array<i64: 0>}
func.func @chain(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %a = llmc.neg %x : tensor<4x16xf32>
  %b = llmc.exp %a : tensor<4x16xf32>
  %c = llmc.neg %b : tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}

// -----

// Symbolic extents are sized for their bound: batch (a leading extent) up
// to max-batch 2, the others up to max-seq (2048 without a KV cache): 2 x
// 2048 x 8 x 4 bytes. A view shares its source's buffer, so the source
// lives as long as the view is read: the neg of the view cannot reuse it.
// CHECK-LABEL: func.func @symbolic
// CHECK-SAME: attributes {plan.arena_bytes = 262144 : i64, plan.max_batch = 2 : i64, plan.max_seq = 2048 : i64}
// CHECK: plan.call "neg"(%{{.*}}) {offsets = array<i64: 0>}
// CHECK: plan.view
// CHECK: plan.call "neg"(%{{.*}}) {offsets = array<i64: 131072>}
func.func @symbolic(%x: tensor<?x?x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>> {
  %a = llmc.neg %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %v = llmc.reshape %a : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>
  %b = llmc.neg %v : tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>
  return %b : tensor<?x?x2x4xf32, #llmc.dims<batch, sequence>>
}

// -----

// An extent no argument binds cannot be sized.
func.func @unbound(%x: tensor<4xf32>) -> tensor<?xi64, #llmc.dims<n>> {
  // expected-error @+1 {{extent 'n' of 'tensor<?xi64, #llmc.dims<n>>' is bound by no argument of the entry point}}
  %i = llmc.iota : tensor<?xi64, #llmc.dims<n>>
  return %i : tensor<?xi64, #llmc.dims<n>>
}

// -----

// Kernel scratch (the contract's rule, runtime/format/KernelContract.cpp):
// gated_mlp takes act(gate x) and up x, f32 [rows, hidden] each, alive only
// while it runs: 2 x (2 x 8 rows) x 32 hidden x 4 = 4096 bytes beside its
// 512-byte result, so the arena is 4608 bytes, all the kernel touches.
// CHECK-LABEL: func.func @scratch
// CHECK-SAME: plan.arena_bytes = 4608 : i64
// CHECK: plan.call "gated_mlp"{{.*}}offsets = array<i64: 4096>, params = {activation = 0 : i32}, scratch = array<i64: 0, 4096>}
func.func @scratch(%x: tensor<?x8x8xf32, #llmc.dims<batch>>, %g: tensor<32x8xf32>, %u: tensor<32x8xf32>, %d: tensor<8x32xf32>) -> tensor<?x8x8xf32, #llmc.dims<batch>> {
  %y = llmc.gated_mlp silu %x, %g, %u, %d : tensor<?x8x8xf32, #llmc.dims<batch>>, tensor<32x8xf32>, tensor<32x8xf32>, tensor<8x32xf32>
  return %y : tensor<?x8x8xf32, #llmc.dims<batch>>
}

// -----

// Per-thread scratch: cached_attention's scores and key table for the most
// keys a task sees (the 16-slot plane plus a task's 8 rows): 8 x 24 x 4 +
// 2 x 24 x 8 = 1152 bytes for each thread of the runtime's pool, recorded
// on the entry point (llmc compile reports it beside the peak).
// CHECK-LABEL: func.func @attention
// CHECK-SAME: plan.worker_scratch_bytes = 1152 : i64
func.func @attention(%q: tensor<1x4x2x8xf32>, %k: tensor<1x4x1x8xf32>, %v: tensor<1x4x1x8xf32>, %cache: tensor<2x2x1x1x16x8xf32>, %pos: tensor<i64>) -> (tensor<1x4x2x8xf32>, tensor<2x2x1x1x16x8xf32>) {
  %y, %c = plan.call "cached_attention"(%q, %k, %v, %cache, %pos) {aliases = array<i64: -1, 3>, params = {layer = 0, causal, scale = 0.35 : f32}} : (tensor<1x4x2x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>, tensor<2x2x1x1x16x8xf32>, tensor<i64>) -> (tensor<1x4x2x8xf32>, tensor<2x2x1x1x16x8xf32>)
  return %y, %c : tensor<1x4x2x8xf32>, tensor<2x2x1x1x16x8xf32>
}
