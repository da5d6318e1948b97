// RUN: llmc-opt %s --llmc-check-raised --split-input-file -verify-diagnostics

// A reason a raising pattern left becomes an error naming the layer: the
// attentions before it (raised or not) count the layers.
func.func @second_layer(%q: tensor<1x3x2x8xf32>, %s: tensor<1x2x3x3xf32>) -> (tensor<1x3x2x8xf32>, tensor<1x2x3x3xf32>) {
  %a = llmc.attention %q, %q, %q causal scale 0.5 : (tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>, tensor<1x3x2x8xf32>) -> tensor<1x3x2x8xf32>
  // expected-error @below {{layer 1: attention not recognised: the mask is a sliding window of 4 keys}}
  %p = llmc.softmax %s axis 3 {llmc.unraised = "attention not recognised: the mask is a sliding window of 4 keys"} : tensor<1x2x3x3xf32>
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
