// RUN: llmc-opt %s --llmc-check-raised --split-input-file -verify-diagnostics

// A reason a raising pattern left becomes an error naming the layer: the
// attentions before it (raised or not) count the layers.
func.func @second_layer(%q: tensor<1x3x2x8xf32>, %s: tensor<1x2x3x3xf32>) -> (tensor<1x3x2x8xf32>, tensor<1x2x3x3xf32>) {
  %a = llmc.attention %q, %q, %q causal scale 0.5 : (tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32>
  // expected-error @below {{layer 1: attention not recognised: one query sees the last 4 keys, another all of its 9}}
  %p = llmc.softmax %s axis 3 {llmc.unraised = "attention not recognised: one query sees the last 4 keys, another all of its 9"} : tensor<1x2x3x3xf32>
  // expected-error @below {{layer 2: attention not recognised: the query at position 0 sees key 1}}
  %p2 = llmc.softmax %p axis 3 {llmc.unraised = "attention not recognised: the query at position 0 sees key 1"} : tensor<1x2x3x3xf32>
  return %a, %p2 : tensor<1x3x2x8xf32>, tensor<1x2x3x3xf32>
}

// -----

// Must not fire: a softmax no pattern left a reason on (an unexpected
// error fails -verify-diagnostics).
func.func @plain_softmax(%s: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %p = llmc.softmax %s axis 3 : tensor<1x2x3x3xf32>
  return %p : tensor<1x2x3x3xf32>
}

// -----

// A RoPE or norm left with a reason is a warning naming the attention it
// comes before (or that it comes after the last), and does not fail.
func.func @rope_and_norm(%q: tensor<1x3x2x8xf32>, %x: tensor<1x3x2x8xf32>) -> (tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>) {
  // expected-warning @below {{before layer 0's attention: rope not recognised: the angles read no positions (an iota over the sequence, past + iota, or position_ids) (it runs as primitive ops)}}
  %r = llmc.add %x, %x {llmc.unraised = "rope not recognised: the angles read no positions (an iota over the sequence, past + iota, or position_ids)"} : (tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32>
  %a = llmc.attention %r, %q, %q causal scale 0.5 : (tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32>
  // expected-warning @below {{after the last attention: norm not recognised: the normalized extent is not known (it runs as primitive ops)}}
  %n = llmc.mul %a, %a {llmc.unraised = "norm not recognised: the normalized extent is not known"} : (tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32>
  return %a, %n : tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>
}
