// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-dtype=dtype=int8" | FileCheck %s
// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-dtype=dtype=fp8" --llmc-lower-to-plan | FileCheck %s --check-prefix=FP8
// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-dtype=dtype=f16" | FileCheck %s --check-prefix=F16
// RUN: not llmc-opt %s "--llmc-kv-cache=max-seq=16" "--llmc-kv-dtype=dtype=int8" 2>&1 | FileCheck %s --check-prefix=CONTIGUOUS
// RUN: not llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-dtype=dtype=int4" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// A paged cache held as int8 or fp8 codes (one more row per block plane:
// its scale) or as f16, while the attention computes in f32
// (docs/kv-cache.md). The pool's type changes in the arguments, the
// kv_cache_write results that thread it and the results; nothing else.

// CHECK-LABEL: func.func @prefill
// CHECK-SAME: tensor<?x2x2x2x5x8xi8, #llmc.dims<kv_blocks>> {llmc.name = "cache"}
// CHECK-SAME: -> ({{.*}}, tensor<?x2x2x2x5x8xi8, #llmc.dims<kv_blocks>> {llmc.name = "cache"})
// CHECK: llmc.kv_cache_read %{{.*}}[0] blocks {{.*}} : tensor<?x2x2x2x5x8xi8, #llmc.dims<kv_blocks>> -> tensor<?x?x2x8xf32
// CHECK: llmc.kv_cache_write %{{.*}} : tensor<?x?x2x8xf32, {{.*}}> -> tensor<?x2x2x2x5x8xi8, #llmc.dims<kv_blocks>>
// CHECK-LABEL: func.func @decode
// CHECK-SAME: tensor<?x2x2x2x5x8xi8, #llmc.dims<kv_blocks>> {llmc.name = "cache"}

// FP8-LABEL: func.func @decode
// FP8: plan.call "cached_attention"({{.*}}) {{.*}} -> (tensor<{{.*}}xf32, {{.*}}>, tensor<?x2x2x2x5x8xf8E4M3FN, #llmc.dims<kv_blocks>>)

// F16-LABEL: func.func @decode
// F16-SAME: tensor<?x2x2x2x4x8xf16, #llmc.dims<kv_blocks>> {llmc.name = "cache"}

// CONTIGUOUS: error: llmc-kv-dtype: dtype=int8 holds a paged KV cache's keys and values (llmc-kv-cache block-tokens=B); this module has a contiguous one
// UNKNOWN: error: llmc-kv-dtype: dtype int4: expected f32, f16, bf16, int8 or fp8

func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>> {
  %tokens = llmc.constant dense<0.25> : tensor<32x8xf32>
  %cos = llmc.constant dense<1.0> : tensor<16x4xf32>
  %sin = llmc.constant dense<0.0> : tensor<16x4xf32>
  %x = llmc.embedding %tokens[%ids] : (tensor<32x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %iota = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %q = llmc.reshape %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %k = llmc.concat %q, %q axis 2 : (tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %r = llmc.rope half %k, %cos, %sin, %iota : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<16x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  %a = llmc.attention %r, %r, %r causal window 4 : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %a, %a causal : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %y = llmc.reshape %b : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  return %y : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
}
