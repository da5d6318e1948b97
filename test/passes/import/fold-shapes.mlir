// RUN: llmc-opt %s --llmc-fold-shapes --split-input-file -verify-diagnostics | FileCheck %s
// RUN: llmc-opt %s --llmc-fold-shapes=allow-dynamic --split-input-file | FileCheck %s --check-prefix=ALLOW

// Reshape to [batch, sequence, 8, 8] computed the exporter's way:
// Shape -> Gather -> Unsqueeze -> Concat. The result type gets the names, and
// they flow forward to the user and the function's result.
// CHECK-LABEL: func.func @reshape_from_shape
// CHECK-SAME: -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
// CHECK: %[[R:.*]] = llmc.reshape %arg0 : tensor<?x?x64xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
// CHECK: llmc.neg %[[R]] : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>
// CHECK-NOT: dynamic_reshape
func.func @reshape_from_shape(%x: tensor<?x?x64xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x?x?xf32> {
  %shape = llmc.shape_of %x : tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
  %i0 = llmc.constant dense<0> : tensor<i64>
  %i1 = llmc.constant dense<1> : tensor<i64>
  %b = llmc.gather %shape[%i0] axis 0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %s = llmc.gather %shape[%i1] axis 0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %b1 = llmc.reshape %b : tensor<i64> -> tensor<1xi64>
  %s1 = llmc.reshape %s : tensor<i64> -> tensor<1xi64>
  %eights = llmc.constant dense<8> : tensor<2xi64>
  %target = llmc.concat %b1, %s1, %eights axis 0 : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = llmc.dynamic_reshape %x(%target) : (tensor<?x?x64xf32, #llmc.dims<batch, sequence>>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %n = llmc.neg %r : tensor<?x?x?x?xf32>
  return %n : tensor<?x?x?x?xf32>
}

// -----

// -1 is what remains: [0, 0, -1] of [batch, sequence, 8, 8] is [.., 64].
// CHECK-LABEL: func.func @reshape_minus_one
// CHECK: llmc.reshape %arg0 : tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x64xf32, #llmc.dims<batch, sequence>>
func.func @reshape_minus_one(%x: tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x?xf32> {
  %target = llmc.constant dense<[0, 0, -1]> : tensor<3xi64>
  %r = llmc.dynamic_reshape %x(%target) : (tensor<?x?x8x8xf32, #llmc.dims<batch, sequence>>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}

// -----

// The causal mask: a constant 512x512 sliced to [:sequence, :sequence].
// CHECK-LABEL: func.func @slice_mask
// CHECK: llmc.slice %arg1 offsets [0, 0] strides [1, 1] : tensor<512x512xf32> -> tensor<?x?xf32, #llmc.dims<sequence, sequence>>
func.func @slice_mask(%x: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %mask: tensor<512x512xf32>) -> tensor<?x?xf32> {
  %shape = llmc.shape_of %x : tensor<?x?xi64, #llmc.dims<batch, sequence>>
  %i1 = llmc.constant dense<1> : tensor<1xi64>
  %seq = llmc.gather %shape[%i1] axis 0 : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %ends = llmc.concat %seq, %seq axis 0 : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %zeros = llmc.constant dense<0> : tensor<2xi64>
  %axes = llmc.constant dense<[0, 1]> : tensor<2xi64>
  %ones = llmc.constant dense<1> : tensor<2xi64>
  %m = llmc.dynamic_slice %mask[%zeros, %ends, %axes, %ones] : (tensor<512x512xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// Expand to Where(Equal(shape, -1), 1, shape): the exporter's way of
// broadcasting to a shape it computed.
// CHECK-LABEL: func.func @expand_where
// CHECK: llmc.expand %arg1 : tensor<1x1x8xf32> -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
func.func @expand_where(%x: tensor<?x?x8xf32, #llmc.dims<batch, sequence>>, %y: tensor<1x1x8xf32>) -> tensor<?x?x?xf32> {
  %shape = llmc.shape_of %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  %minus = llmc.constant dense<-1> : tensor<3xi64>
  %one = llmc.constant dense<1> : tensor<3xi64>
  %is = llmc.compare eq, %shape, %minus : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %target = llmc.select %is, %one, %shape : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %e = llmc.dynamic_expand %y(%target) : (tensor<1x1x8xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %e : tensor<?x?x?xf32>
}

// -----

// Positions: Range(0, sequence, 1) is iota; a static ConstantOfShape is a
// constant; Shape of a static tensor is a constant.
// CHECK-LABEL: func.func @range_fill
// CHECK-DAG: llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
// CHECK-DAG: llmc.constant dense<0.000000e+00> : tensor<2x3xf32>
// CHECK-NOT: llmc.range
// CHECK-NOT: llmc.constant_of_shape
func.func @range_fill(%x: tensor<1x?xi64, #llmc.dims<sequence>>, %w: tensor<2x3xf32>) -> (tensor<?xi64>, tensor<?x?xf32>) {
  %shape = llmc.shape_of %x : tensor<1x?xi64, #llmc.dims<sequence>>
  %i1 = llmc.constant dense<1> : tensor<i64>
  %zero = llmc.constant dense<0> : tensor<i64>
  %seq = llmc.gather %shape[%i1] axis 0 : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %p = llmc.range %zero, %seq, %i1 : tensor<i64> -> tensor<?xi64>
  %ws = llmc.shape_of %w : tensor<2x3xf32>
  %f = llmc.constant_of_shape %ws, dense<0.0> : tensor<1xf32> : tensor<2xi64> -> tensor<?x?xf32>
  return %p, %f : tensor<?xi64>, tensor<?x?xf32>
}

// -----

// Unsqueeze-like static reshapes learn their input's names.
// CHECK-LABEL: func.func @unsqueeze_refined
// CHECK: llmc.reshape %{{.*}} : tensor<?x?xf32, #llmc.dims<batch, sequence>> -> tensor<?x1x?xf32, #llmc.dims<batch, sequence>>
func.func @unsqueeze_refined(%x: tensor<?x?xf32, #llmc.dims<batch, sequence>>) -> tensor<?x1x?xf32> {
  %target = llmc.constant dense<0> : tensor<2xi64>
  %r = llmc.dynamic_reshape %x(%target) : (tensor<?x?xf32, #llmc.dims<batch, sequence>>, tensor<2xi64>) -> tensor<?x?xf32>
  %u = llmc.reshape %r : tensor<?x?xf32> -> tensor<?x1x?xf32>
  return %u : tensor<?x1x?xf32>
}

// -----

// A slice imported before its input's extents were known (Qwen3's and
// Phi-3's rotate-half under a per-head norm) takes the extents it kept
// whole (offset 0, stride 1) from its input once that is known; the sliced
// one stays.
// CHECK-LABEL: func.func @slice_refined
// CHECK: llmc.slice %{{.*}} offsets [0, 0, 0, 8] strides [1, 1, 1, 1] : tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>> -> tensor<?x4x?x8xf32, #llmc.dims<batch, sequence>>
func.func @slice_refined(%x: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x?x8xf32> {
  %s = llmc.slice %x offsets [0, 0, 0, 8] strides [1, 1, 1, 1] : tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>> -> tensor<?x?x?x8xf32>
  return %s : tensor<?x?x?x8xf32>
}

// -----

// Positions after a cache without position_ids (Gemma through optimum):
// Range(past, past + sequence) with past read from the cache's shape
// becomes iota + past; the read stays (it is data now) and does not fail
// the pass.
// CHECK-LABEL: func.func @range_after_past
// CHECK: %[[PAST:.*]] = llmc.gather
// CHECK: %[[IOTA:.*]] = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
// CHECK: %[[AT:.*]] = llmc.add %[[IOTA]], %[[PAST]] : (tensor<?xi64, #llmc.dims<sequence>>, tensor<i64>) -> tensor<?xi64, #llmc.dims<sequence>>
// CHECK: return %[[AT]]
func.func @range_after_past(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %cache: tensor<?x2x?x8xf32, #llmc.dims<batch, past>>) -> tensor<?xi64> {
  %two = llmc.constant dense<2> : tensor<i64>
  %one = llmc.constant dense<1> : tensor<i64>
  %cs = llmc.shape_of %cache : tensor<?x2x?x8xf32, #llmc.dims<batch, past>>
  %past = llmc.gather %cs[%two] axis 0 : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %is = llmc.shape_of %ids : tensor<?x?xi64, #llmc.dims<batch, sequence>>
  %n = llmc.gather %is[%one] axis 0 : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %end = llmc.add %past, %n : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %r = llmc.range %past, %end, %one : tensor<i64> -> tensor<?xi64>
  return %r : tensor<?xi64>
}

// -----

// ScatterND over every element of its data, the index tuples running
// through the data's positions in order (TorchScript's `mask[..., :n] =`
// with n the whole extent): the updates. A scatter whose indices are not
// that grid (here reversed) stays.
// CHECK-LABEL: func.func @whole_scatter
// CHECK-NOT: llmc.scatter_nd
// CHECK: return %arg1
// CHECK-LABEL: func.func @partial_scatter
// CHECK: llmc.scatter_nd
func.func @whole_scatter(%data: tensor<?x3xf32, #llmc.dims<sequence>>, %updates: tensor<?x3xf32, #llmc.dims<sequence>>) -> tensor<?x3xf32, #llmc.dims<sequence>> {
  %rows = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %r2 = llmc.reshape %rows : tensor<?xi64, #llmc.dims<sequence>> -> tensor<?x1x1xi64, #llmc.dims<sequence>>
  %re = llmc.expand %r2 : tensor<?x1x1xi64, #llmc.dims<sequence>> -> tensor<?x3x1xi64, #llmc.dims<sequence>>
  %cols = llmc.iota : tensor<3xi64>
  %c2 = llmc.reshape %cols : tensor<3xi64> -> tensor<1x3x1xi64>
  %ce = llmc.expand %c2 : tensor<1x3x1xi64> -> tensor<?x3x1xi64, #llmc.dims<sequence>>
  %grid = llmc.concat %re, %ce axis 2 : (tensor<?x3x1xi64, #llmc.dims<sequence>>, tensor<?x3x1xi64, #llmc.dims<sequence>>) -> tensor<?x3x2xi64, #llmc.dims<sequence>>
  %s = llmc.scatter_nd %updates into %data[%grid] : (tensor<?x3xf32, #llmc.dims<sequence>>, tensor<?x3x2xi64, #llmc.dims<sequence>>, tensor<?x3xf32, #llmc.dims<sequence>>) -> tensor<?x3xf32, #llmc.dims<sequence>>
  return %s : tensor<?x3xf32, #llmc.dims<sequence>>
}
func.func @partial_scatter(%data: tensor<?x3xf32, #llmc.dims<sequence>>, %updates: tensor<?x3xf32, #llmc.dims<sequence>>) -> tensor<?x3xf32, #llmc.dims<sequence>> {
  %rows = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %r2 = llmc.reshape %rows : tensor<?xi64, #llmc.dims<sequence>> -> tensor<?x1x1xi64, #llmc.dims<sequence>>
  %re = llmc.expand %r2 : tensor<?x1x1xi64, #llmc.dims<sequence>> -> tensor<?x3x1xi64, #llmc.dims<sequence>>
  %cols = llmc.constant dense<[2, 1, 0]> : tensor<3xi64>
  %c2 = llmc.reshape %cols : tensor<3xi64> -> tensor<1x3x1xi64>
  %ce = llmc.expand %c2 : tensor<1x3x1xi64> -> tensor<?x3x1xi64, #llmc.dims<sequence>>
  %grid = llmc.concat %re, %ce axis 2 : (tensor<?x3x1xi64, #llmc.dims<sequence>>, tensor<?x3x1xi64, #llmc.dims<sequence>>) -> tensor<?x3x2xi64, #llmc.dims<sequence>>
  %s = llmc.scatter_nd %updates into %data[%grid] : (tensor<?x3xf32, #llmc.dims<sequence>>, tensor<?x3x2xi64, #llmc.dims<sequence>>, tensor<?x3xf32, #llmc.dims<sequence>>) -> tensor<?x3xf32, #llmc.dims<sequence>>
  return %s : tensor<?x3xf32, #llmc.dims<sequence>>
}

// -----

// Unsqueeze of an input not yet known when imported ([?, ?, ?] -> [?, 1, ?,
// ?]): the 1 the result type names is the added one; the input's 1 is not
// moved ([1, s, 16] -> [1, 1, s, 16], not [s, 1, 16, 1]).
// CHECK-LABEL: func.func @unsqueeze_least_edits
// CHECK: llmc.reshape %{{.*}} : tensor<1x?x16xf32, #llmc.dims<sequence>> -> tensor<1x1x?x16xf32, #llmc.dims<sequence>>
func.func @unsqueeze_least_edits(%x: tensor<1x?x16xf32, #llmc.dims<sequence>>) -> tensor<?x1x?x?xf32> {
  %u = llmc.reshape %x : tensor<1x?x16xf32, #llmc.dims<sequence>> -> tensor<?x1x?x?xf32>
  return %u : tensor<?x1x?x?xf32>
}

// -----

// An even split (ONNX num_outputs) learns its pieces once the extent is
// known; a filled constant of symbolic shape is a broadcast scalar; a -1
// over merged names is the one unknown extent; reads of static extents
// become constants even where they feed data.
// CHECK-LABEL: func.func @symbolic_forms
// CHECK: llmc.split %{{.*}} axis 1 even : tensor<?x16xf32, #llmc.dims<sequence>> -> tensor<?x8xf32, #llmc.dims<sequence>>, tensor<?x8xf32, #llmc.dims<sequence>>
// CHECK: %[[ZERO:.*]] = llmc.constant dense<0> : tensor<i64>
// CHECK: llmc.expand %[[ZERO]] : tensor<i64> -> tensor<?x?xi64, #llmc.dims<batch, sequence>>
// CHECK: llmc.reshape %{{.*}} : tensor<?x?x16xf32, #llmc.dims<batch, sequence>> -> tensor<?x16xf32>
// CHECK: %[[D:.*]] = llmc.constant dense<16> : tensor<1xi64>
// CHECK: llmc.cast %[[D]]
func.func @symbolic_forms(%x: tensor<?x16xf32, #llmc.dims<sequence>>, %ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %h: tensor<?x?x16xf32, #llmc.dims<batch, sequence>>) -> (tensor<?x?xf32>, tensor<?x?xi64>, tensor<?x?xf32>, tensor<1xf32>) {
  %a:2 = llmc.split %x axis 1 even : tensor<?x16xf32, #llmc.dims<sequence>> -> tensor<?x?xf32>, tensor<?x?xf32>
  %s = llmc.shape_of %ids : tensor<?x?xi64, #llmc.dims<batch, sequence>>
  %z = llmc.constant_of_shape %s, dense<0> : tensor<1xi64> : tensor<2xi64> -> tensor<?x?xi64>
  %flat = llmc.constant dense<[-1, 16]> : tensor<2xi64>
  %r = llmc.dynamic_reshape %h(%flat) : (tensor<?x?x16xf32, #llmc.dims<batch, sequence>>, tensor<2xi64>) -> tensor<?x?xf32>
  %hs = llmc.shape_of %h : tensor<?x?x16xf32, #llmc.dims<batch, sequence>>
  %d = llmc.slice %hs offsets [2] strides [1] : tensor<3xi64> -> tensor<1xi64>
  %f = llmc.cast %d : tensor<1xi64> -> tensor<1xf32>
  return %a#0, %z, %r, %f : tensor<?x?xf32>, tensor<?x?xi64>, tensor<?x?xf32>, tensor<1xf32>
}

// -----

// Must not fire: a shape that comes from outside cannot be known; the pass
// names the op it could not fold, and allow-dynamic keeps it.
// ALLOW-LABEL: func.func @unknowable
// ALLOW: llmc.dynamic_reshape
func.func @unknowable(%x: tensor<4x4xf32>, %shape: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{shape computation could not be folded into static or symbolic dimensions}}
  %r = llmc.dynamic_reshape %x(%shape) : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
