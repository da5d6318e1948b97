// RUN: llmc-opt %s --llmc-kv-cache --split-input-file -verify-diagnostics

// A past that the graph computes is no cache input the pass can replace.
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %past: tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  %p = llmc.neg %past : tensor<?x?x4x8xf32, #llmc.dims<batch, past>>
  // expected-error @+1 {{llmc-kv-cache: the past keys and values must be inputs of the graph}}
  %a = llmc.attention %q, %q, %q past(%p, %p) causal : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %a : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}

// -----

// A cache input the graph also reads elsewhere cannot be replaced.
// expected-error @+1 {{llmc-kv-cache: input 2 is still read after the cache inputs were replaced}}
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %past: tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) -> (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) {
  %a = llmc.attention %q, %q, %q past(%past, %past) causal : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  %n = llmc.neg %past : tensor<?x?x4x8xf32, #llmc.dims<batch, past>>
  return %a, %n : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>
}

// -----

// A key mask that reads anything but attention_mask is kept, so refused.
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %q: tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, %past: tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, %mask: tensor<?x?xi1, #llmc.dims<batch, keys>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>> {
  // expected-error @+1 {{llmc-kv-cache: the key mask must be computed from the attention_mask input alone}}
  %a = llmc.attention %q, %q, %q past(%past, %past) key_mask(%mask) causal : (tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?x4x8xf32, #llmc.dims<batch, past>>, tensor<?x?xi1, #llmc.dims<batch, keys>>) -> tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
  return %a : tensor<?x?x4x8xf32, #llmc.dims<batch, sequence>>
}
