// RUN: llmc-opt %s --split-input-file -verify-diagnostics

func.func @no_kernel(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op names no kernel}}
  %y = plan.call ""(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @alias_range(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op result 0 aliases operand 1, out of range}}
  %y = plan.call "k"(%x) {aliases = array<i64: 1>} : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @alias_type(%x: tensor<2xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'plan.call' op result 0 aliases operand 0 of another type}}
  %y = plan.call "k"(%x) {aliases = array<i64: 0>} : (tensor<2xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @offsets(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op has 2 offsets for 1 results}}
  %y = plan.call "k"(%x) {offsets = array<i64: 0, 64>} : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @param(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op parameter 'name' is not an integer, float or integer list: "text"}}
  %y = plan.call "k"(%x) {params = {name = "text"}} : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @view_count(%x: tensor<2x3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'plan.view' op views 6 elements as 4}}
  %y = plan.view %x : tensor<2x3xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @view_type(%x: tensor<2xf32>) -> tensor<2xi32> {
  // expected-error @+1 {{'plan.view' op changes the element type from 'f32' to 'i32'}}
  %y = plan.view %x : tensor<2xf32> -> tensor<2xi32>
  return %y : tensor<2xi32>
}
