// Invalid primitive-layer IR is rejected with a located diagnostic.
// RUN: llmc-opt %s -split-input-file -verify-diagnostics

func.func @constant_type_mismatch() {
  // expected-error @+2 {{inferred type(s) 'tensor<2xf32>' are incompatible with return type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "llmc.constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @add_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+2 {{operand element types differ: 'f32' vs 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @sub_broadcast(%a: tensor<4x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{cannot broadcast dimension 3 against 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.sub %a, %b : (tensor<4x3xf32>, tensor<5xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @mul_symbols(%a: tensor<?xf32, #llmc.dims<sequence>>, %b: tensor<?xf32, #llmc.dims<past>>) {
  // expected-error @+2 {{cannot broadcast dimension 'sequence' against 'past'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.mul %a, %b : (tensor<?xf32, #llmc.dims<sequence>>, tensor<?xf32, #llmc.dims<past>>) -> tensor<?xf32, #llmc.dims<sequence>>
  return
}

// -----

func.func @div_result(%a: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.div %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @pow_named_result(%a: tensor<?xf32, #llmc.dims<sequence>>) {
  // A named dimension must not be renamed by a declared result type.
  // expected-error @+2 {{incompatible with return type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.pow %a, %a : (tensor<?xf32, #llmc.dims<sequence>>, tensor<?xf32, #llmc.dims<sequence>>) -> tensor<?xf32, #llmc.dims<past>>
  return
}

// -----

func.func @max_static_result(%a: tensor<?xf32>) {
  // An unknown dimension may gain a name, but not a static extent.
  // expected-error @+2 {{incompatible with return type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.max %a, %a : (tensor<?xf32>, tensor<?xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @min_rank(%a: tensor<4xf32>) {
  // expected-error @+2 {{incompatible with return type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.min %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @compare_result(%a: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = llmc.compare eq, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_kind(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [eq, ne, lt, le, gt, ge]}}
  %0 = llmc.compare similar, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return
}

// -----

func.func @select_condition(%c: tensor<3xi1>, %a: tensor<4xf32>) {
  // expected-error @+2 {{cannot broadcast dimension 3 against 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.select %c, %a, %a : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @neg_integer(%a: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = llmc.neg %a : tensor<4xi32>
  return
}

// -----

func.func @abs_integer(%a: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.abs %a : tensor<4xi32>
  return
}

// -----

func.func @exp_types(%a: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "llmc.exp"(%a) : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @log_types(%a: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "llmc.log"(%a) : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @sqrt_unranked(%a: tensor<*xf32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = "llmc.sqrt"(%a) : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @rsqrt_integer(%a: tensor<4xi8>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.rsqrt %a : tensor<4xi8>
  return
}

// -----

func.func @reciprocal_integer(%a: tensor<4xi8>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.reciprocal %a : tensor<4xi8>
  return
}

// -----

func.func @tanh_integer(%a: tensor<4xi8>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.tanh %a : tensor<4xi8>
  return
}

// -----

func.func @erf_integer(%a: tensor<4xi8>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.erf %a : tensor<4xi8>
  return
}

// -----

func.func @sigmoid_integer(%a: tensor<4xi8>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.sigmoid %a : tensor<4xi8>
  return
}

// -----

func.func @cast_shape(%a: tensor<4xf32>) {
  // expected-error @+1 {{'llmc.cast' op changes the shape: 'tensor<4xf32>' to 'tensor<5xf16>'}}
  %0 = llmc.cast %a : tensor<4xf32> -> tensor<5xf16>
  return
}

// -----

func.func @matmul_contracting(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contracting dimensions differ: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+2 {{matmul operands must have rank >= 2, got 1 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.matmul %a, %b : (tensor<3xf32>, tensor<3x5xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @reduce_sum_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.reduce_sum %a [2] : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @reduce_mean_order(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be strictly increasing}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.reduce_mean %a [1, 0] : (tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

func.func @reduce_max_keep(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x1xf32>' are incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.reduce_max %a [1] keep_dims : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = llmc.softmax %a axis 2 : tensor<2x3xf32>
  return
}

// -----

func.func @gather_indices(%t: tensor<8x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of signless integer values}}
  %0 = llmc.gather %t[%i] axis 0 : (tensor<8x4xf32>, tensor<3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @reshape_size(%a: tensor<4x6xf32>) {
  // expected-error @+1 {{'llmc.reshape' op changes the number of elements: 'tensor<4x6xf32>' to 'tensor<5x5xf32>'}}
  %0 = llmc.reshape %a : tensor<4x6xf32> -> tensor<5x5xf32>
  return
}

// -----

func.func @reshape_symbols(%a: tensor<?x64xf32, #llmc.dims<sequence>>) {
  // expected-error @+1 {{changes the number of elements}}
  %0 = llmc.reshape %a : tensor<?x64xf32, #llmc.dims<sequence>> -> tensor<?x8x8xf32, #llmc.dims<past>>
  return
}

// -----

func.func @transpose_permutation(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{invalid permutation entry 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.transpose %a [0, 0] : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{inputs differ in dimension 1: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.concat %a, %b axis 0 : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_symbolic(%a: tensor<?x4xf32, #llmc.dims<past>>, %b: tensor<?x4xf32, #llmc.dims<sequence>>) {
  // Concatenating `past` and `sequence` gives an unknown extent, which the
  // result may name (here `total`) but not fix to a number.
  // expected-error @+2 {{incompatible with return type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.concat %a, %b axis 0 : (tensor<?x4xf32, #llmc.dims<past>>, tensor<?x4xf32, #llmc.dims<sequence>>) -> tensor<8x4xf32>
  return
}

// -----

func.func @slice_bounds(%a: tensor<8x8xf32>) {
  // expected-error @+1 {{'llmc.slice' op dimension 1 reads past its end: offset 4, size 4, stride 2, extent 8}}
  %0 = llmc.slice %a offsets [0, 4] strides [1, 2] : tensor<8x8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @slice_from_end(%a: tensor<8x8xf32>, %b: tensor<?x8xf32, #llmc.dims<sequence>>) {
  // expected-error @+1 {{'llmc.slice' op dimension 0: offset -9 is before the start of extent 8}}
  %0 = llmc.slice %a offsets [-9, 0] strides [1, 1] : tensor<8x8xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @slice_from_end_past(%b: tensor<?x8xf32, #llmc.dims<sequence>>) {
  // expected-error @+1 {{'llmc.slice' op dimension 0 reads past its end: offset -1, size 2, stride 1}}
  %0 = llmc.slice %b offsets [-1, 0] strides [1, 1] : tensor<?x8xf32, #llmc.dims<sequence>> -> tensor<2x8xf32>
  return
}

// -----

func.func @slice_attrs(%a: tensor<8x8xf32>) {
  // expected-error @+1 {{expected 2 offsets and strides}}
  %0 = llmc.slice %a offsets [0] strides [1, 1] : tensor<8x8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @split_cover(%a: tensor<8x6xf32>) {
  // expected-error @+1 {{'llmc.split' op outputs cover 5 of 6 along axis 1}}
  %0:2 = llmc.split %a axis 1 : tensor<8x6xf32> -> tensor<8x2xf32>, tensor<8x3xf32>
  return
}

// -----

func.func @trilu_rank(%a: tensor<8xf32>) {
  // expected-error @+1 {{'llmc.trilu' op expects a tensor of rank >= 2, got 'tensor<8xf32>'}}
  %0 = llmc.trilu %a k 0 : tensor<8xf32>
  return
}

// -----

func.func @split_even(%a: tensor<8x7xf32>) {
  // expected-error @+1 {{'llmc.split' op an even split of 7 into 2 has pieces of 4 (the last 3)}}
  %0:2 = llmc.split %a axis 1 even : tensor<8x7xf32> -> tensor<8x3xf32>, tensor<8x4xf32>
  return
}

// -----

func.func @expand_shape(%a: tensor<3x1xf32>) {
  // expected-error @+1 {{cannot broadcast dimension 3 against 4}}
  %0 = llmc.expand %a : tensor<3x1xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @expand_shrinks(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{result type 'tensor<3x1xf32>' is not 'tensor<3x4xf32>' broadcast}}
  %0 = llmc.expand %a : tensor<3x4xf32> -> tensor<3x1xf32>
  return
}

// -----

func.func @iota_rank() {
  // expected-error @+1 {{result #0 must be 1D tensor of signless integer values}}
  %0 = llmc.iota : tensor<2x4xi64>
  return
}

// -----

func.func @shape_of_result(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2xi64>' are incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "llmc.shape_of"(%x) : (tensor<2x3xf32>) -> tensor<3xi64>
  return
}

// -----

func.func @dynamic_reshape_rank(%x: tensor<2x3xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{'llmc.dynamic_reshape' op shape has 3 entries for a result of rank 2}}
  %0 = llmc.dynamic_reshape %x(%s) : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_reshape_length(%x: tensor<2x3xf32>, %s: tensor<?xi64>) {
  // expected-error @+1 {{'llmc.dynamic_reshape' op shape must have a static length}}
  %0 = llmc.dynamic_reshape %x(%s) : (tensor<2x3xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_expand_rank(%x: tensor<2x3xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{'llmc.dynamic_expand' op result must have rank 3 (input and shape broadcast), got 2}}
  %0 = llmc.dynamic_expand %x(%s) : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_slice_lengths(%x: tensor<8x8xf32>, %a: tensor<2xi64>, %b: tensor<1xi64>) {
  // expected-error @+1 {{'llmc.dynamic_slice' op starts, ends, axes and steps differ in length}}
  %0 = llmc.dynamic_slice %x[%a, %a, %b, %a] : (tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @range_types(%a: tensor<i64>) {
  // expected-error @+1 {{'llmc.range' op changes the element type}}
  %0 = llmc.range %a, %a, %a : tensor<i64> -> tensor<?xi32>
  return
}

// -----

func.func @constant_of_shape_value(%s: tensor<2xi64>) {
  // expected-error @+1 {{'llmc.constant_of_shape' op value must be one element of the result's element type, got dense<0.000000e+00> : tensor<2xf32>}}
  %0 = llmc.constant_of_shape %s, dense<0.0> : tensor<2xf32> : tensor<2xi64> -> tensor<?x?xf32>
  return
}

// -----

func.func @cos_integer(%a: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.cos %a : tensor<4xi32>
  return
}

// -----

func.func @sin_integer(%a: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = llmc.sin %a : tensor<4xi32>
  return
}

// -----

func.func @and_float(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = llmc.and %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return
}

// -----

func.func @or_broadcast(%a: tensor<3xi1>, %b: tensor<4xi1>) {
  // expected-error @+2 {{cannot broadcast dimension 3 against 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.or %a, %b : (tensor<3xi1>, tensor<4xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @not_float(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = llmc.not %a : tensor<4xf32>
  return
}

// -----

func.func @is_nan_shape(%a: tensor<4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4xi1>' are incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.is_nan %a : (tensor<4xf32>) -> tensor<5xi1>
  return
}

// -----

func.func @scatter_nd_updates(%d: tensor<4x4xf32>, %i: tensor<3x1xi64>, %u: tensor<3x5xf32>) {
  // expected-error @+1 {{'llmc.scatter_nd' op updates 'tensor<3x5xf32>' must be indices.shape[:-1] + data.shape[1:]}}
  %0 = llmc.scatter_nd %u into %d[%i] : (tensor<4x4xf32>, tensor<3x1xi64>, tensor<3x5xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @scatter_nd_depth(%d: tensor<4x4xf32>, %i: tensor<3x3xi64>, %u: tensor<3xf32>) {
  // expected-error @+1 {{'llmc.scatter_nd' op index depth 3 does not fit data of rank 2}}
  %0 = llmc.scatter_nd %u into %d[%i] : (tensor<4x4xf32>, tensor<3x3xi64>, tensor<3xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @scatter_nd_result(%d: tensor<4x4xf32>, %i: tensor<3x2xi64>, %u: tensor<3xf32>) {
  // expected-error @+1 {{'llmc.scatter_nd' op result must have the data's type 'tensor<4x4xf32>'}}
  %0 = llmc.scatter_nd %u into %d[%i] : (tensor<4x4xf32>, tensor<3x2xi64>, tensor<3xf32>) -> tensor<4x5xf32>
  return
}

// -----

func.func @gather_nd_depth(%d: tensor<4x4xf32>, %i: tensor<3x3xi64>) {
  // expected-error @+2 {{batch_dims 0 and index depth 3 do not fit data of rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = llmc.gather_nd %d[%i] batch_dims 0 : (tensor<4x4xf32>, tensor<3x3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @cumsum_axis(%a: tensor<4x4xf32>) {
  // expected-error @+1 {{'llmc.cumsum' op axis 2 is out of range for rank 2}}
  %0 = llmc.cumsum %a axis 2 : tensor<4x4xf32>
  return
}
