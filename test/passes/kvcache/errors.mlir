// RUN: llmc-opt %s --llmc-kv-cache --split-input-file -verify-diagnostics

// A graph that already carries a cache (optimum's form) is not rebuilt.
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %past: tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  // expected-error @+1 {{llmc-kv-cache: expects causal attention without past or key mask (a graph that already carries a cache)}}
  %a = llmc.attention %q, %q, %q past(%past, %past) causal : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %a : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}

// -----

// expected-error @+1 {{llmc-kv-cache: no attention to give a cache}}
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?xi64, #llmc.dims<batch, sequence>> {
  return %ids : tensor<?x?xi64, #llmc.dims<batch, sequence>>
}
