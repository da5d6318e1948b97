// RUN: not llmc-opt %s --split-input-file "--llmc-kv-cache=max-seq=16 block-tokens=4" "--llmc-kv-evict=window=8" 2>&1 | FileCheck %s

// Keys llmc-kv-evict cannot rotate (docs/kv-cache.md).

// Keys without RoPE (GPT-2's learned positions): nothing to rotate them by.
// CHECK: error: llmc-kv-evict: layer 0's cached keys do not come from llmc.rope
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>> {
  %tokens = llmc.constant dense<0.25> : tensor<32x8xf32>
  %x = llmc.embedding %tokens[%ids] : (tensor<32x8xf32>, tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %q = llmc.reshape %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>
  %k = llmc.concat %q, %q axis 2 : (tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x1x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %a = llmc.attention %k, %k, %k causal : (tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>, tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>>
  %y = llmc.reshape %a : tensor<?x?x2x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  return %y : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
}

// -----

// Tables with an attention factor folded in: row d is no rotation by d.
// CHECK: error: llmc-kv-evict: the keys' RoPE tables are scaled (cos^2 + sin^2 is not 1 at row 0)
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>) -> tensor<?x?x16xf32, #llmc.dims<batch, sequence>> {
  %tokens = llmc.constant dense<0.25> : tensor<32x8xf32>
  %cos = llmc.constant dense<1.25> : tensor<16x4xf32>
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
