// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-evict=window=8 sinks=2" | FileCheck %s
// RUN: not llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-evict=window=16 sinks=2" 2>&1 | FileCheck %s --check-prefix=ABOVE
// RUN: not llmc-opt %s "--llmc-kv-cache=max-seq=16" "--llmc-kv-evict=window=8" 2>&1 | FileCheck %s --check-prefix=CONTIGUOUS
// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-evict=window=8 sinks=2 policy=h2o" | FileCheck %s --check-prefix=H2O
// RUN: not llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-evict=window=8 policy=lru" 2>&1 | FileCheck %s --check-prefix=POLICY

// Eviction for unbounded generation (docs/kv-cache.md): the pass records
// the policy, window and sinks in llmc.kv_cache beside the keys' RoPE
// (pairs and the cos/sin tables' first max-seq rows), which the runtime
// rotates moved keys with. Nothing else changes.

// CHECK: module attributes {llmc.kv_cache = {{{.*}}block_tokens = 4 : i64, evict = "window"{{.*}}max_seq = 16 : i64, rope_cos = dense<1.000000e+00> : tensor<16x4xf32>, rope_pairs = "half", rope_sin = dense<0.000000e+00> : tensor<16x4xf32>, sinks = 2 : i64{{.*}}window = 8 : i64}}
// CHECK-LABEL: func.func @prefill
// CHECK: llmc.rope half
// CHECK: llmc.kv_cache_write

// H2O: module attributes {llmc.kv_cache = {{{.*}}evict = "h2o"{{.*}}sinks = 2 : i64{{.*}}window = 8 : i64}}

// ABOVE: error: llmc-kv-evict: window 16 + sinks 2: 18 tokens, above the cache's max-seq 16
// CONTIGUOUS: error: llmc-kv-evict: eviction keeps a paged KV cache's blocks (llmc-kv-cache block-tokens=B); this module has a contiguous one
// POLICY: error: llmc-kv-evict: policy lru: expected window or h2o

func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>> {
  %tokens = llmc.constant dense<0.25> : tensor<32x8xf32>
  %cos = llmc.constant dense<1.0> : tensor<16x4xf32>
  %sin = llmc.constant dense<0.0> : tensor<16x4xf32>
  %x = llmc.embedding %tokens[%ids] : (tensor<32x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %iota = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %q = llmc.reshape %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %k = llmc.concat %q, %q axis 2 : (tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %r = llmc.rope half %k, %cos, %sin, %iota : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<16x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  %a = llmc.attention %r, %r, %k causal : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %y = llmc.reshape %a : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  return %y : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
}
