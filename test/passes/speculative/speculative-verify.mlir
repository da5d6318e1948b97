// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16" "--llmc-speculative-verify=draft-tokens=3" | FileCheck %s
// RUN: llmc-opt %s "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-speculative-verify=draft-tokens=3" | FileCheck %s --check-prefix=PAGED

// @verify is @decode taking one position per sequence: the cache ops read
// and write each sequence's layer from its own position, the sequence's
// positions become positions[b] + t ([batch, sequence]) for RoPE and for
// the learned position embedding (whose add into the token embeddings
// keeps its type), the ids take at most draft-tokens + 1 tokens, and
// @prefill and @decode stay as they were.

// Over a paged cache @decode takes a position per sequence and scores any
// number of tokens: it verifies, and no @verify is added.
// PAGED: module attributes {llmc.kv_cache = {{.*}}, llmc.speculative = {draft_tokens = 3 : i64}}
// PAGED: func.func @decode
// PAGED-SAME: {llmc.name = "positions"}
// PAGED-NOT: func.func @verify

// CHECK: module attributes {llmc.kv_cache = {{.*}}, llmc.speculative = {draft_tokens = 3 : i64}}
// CHECK-LABEL: func.func @decode
// CHECK-SAME: %{{.*}}: tensor<i64> {llmc.name = "position"}
// CHECK: llmc.kv_cache_read %{{.*}}[0] before %{{[a-z0-9]+}} :
// CHECK-LABEL: func.func @verify
// CHECK-SAME: (%[[IDS:[a-z0-9]+]]: tensor<?x?xi64, #llmc.dims<batch, sequence>> {llmc.max_tokens = 4 : i64}
// CHECK-SAME: %[[CACHE:[a-z0-9]+]]: tensor<2x2x?x2x16x8xf32, #llmc.dims<batch>> {llmc.name = "cache"}
// CHECK-SAME: %[[POS:[a-z0-9]+]]: tensor<?xi64, #llmc.dims<batch>> {llmc.name = "positions"}
// CHECK-SAME: -> (tensor<?x?x16xf32, #llmc.dims<batch, sequence>>, tensor<2x2x?x2x16x8xf32, #llmc.dims<batch>> {llmc.name = "cache"})
// CHECK: %[[COLUMN:.*]] = llmc.reshape %[[POS]] : tensor<?xi64, #llmc.dims<batch>> -> tensor<?x1xi64, #llmc.dims<batch>>
// CHECK: %[[IOTA:.*]] = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
// CHECK: %[[ROW:.*]] = llmc.reshape %[[IOTA]] : tensor<?xi64, #llmc.dims<sequence>> -> tensor<1x?xi64, #llmc.dims<sequence>>
// CHECK: %[[ROWS:.*]] = llmc.add %[[COLUMN]], %[[ROW]] : {{.*}} -> tensor<?x?xi64, #llmc.dims<batch, sequence>>
// CHECK: %[[PE:.*]] = llmc.embedding %{{.*}}[%[[ROWS]]] : (tensor<16x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
// CHECK: llmc.add %{{.*}}, %[[PE]] : {{.*}} -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
// CHECK: llmc.rope half %{{.*}}, %[[ROWS]] : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<16x4xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>
// CHECK: %[[K0:.*]], %[[V0:.*]] = llmc.kv_cache_read %[[CACHE]][0] before %[[POS]] (tensor<?xi64, #llmc.dims<batch>>)
// CHECK: %[[C1:.*]] = llmc.kv_cache_write %{{.*}} into %[[CACHE]][0] at %[[POS]] (tensor<?xi64, #llmc.dims<batch>>)
// CHECK: llmc.kv_cache_read %[[C1]][1] before %[[POS]] (tensor<?xi64, #llmc.dims<batch>>)
// CHECK: llmc.kv_cache_write %{{.*}} into %[[C1]][1] at %[[POS]] (tensor<?xi64, #llmc.dims<batch>>)
// CHECK-NOT: tensor<i64>
// CHECK: return
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>> {
  %tokens = llmc.constant dense<0.25> : tensor<32x8xf32>
  %places = llmc.constant dense<0.5> : tensor<16x8xf32>
  %cos = llmc.constant dense<1.0> : tensor<16x4xf32>
  %sin = llmc.constant dense<0.0> : tensor<16x4xf32>
  %x = llmc.embedding %tokens[%ids] : (tensor<32x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %iota = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %pe = llmc.embedding %places[%iota] : (tensor<16x8xf32>, tensor<?xi64, #llmc.dims<sequence>>) -> tensor<?x8xf32, #llmc.dims<sequence>>
  %h = llmc.add %x, %pe : (tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, tensor<?x8xf32, #llmc.dims<sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %q = llmc.reshape %h : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %k = llmc.concat %q, %q axis 2 : (tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %r = llmc.rope half %k, %cos, %sin, %iota : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<16x4xf32>, tensor<?xi64, #llmc.dims<sequence>>
  %a = llmc.attention %r, %r, %r causal : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %b = llmc.attention %a, %a, %a causal : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %y = llmc.reshape %b : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  return %y : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
}
