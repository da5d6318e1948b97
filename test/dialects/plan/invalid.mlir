// RUN: llmc-opt %s --split-input-file -verify-diagnostics

func.func @no_kernel(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op names no kernel}}
  %y = plan.call ""(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @alias_range(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op result 0 aliases operand 1, out of range}}
  %y = plan.call "neg"(%x) {aliases = array<i64: 1>} : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @alias_type(%x: tensor<2xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'plan.call' op result 0 aliases operand 0 of another type}}
  %y = plan.call "neg"(%x) {aliases = array<i64: 0>} : (tensor<2xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @offsets(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op has 2 offsets for 1 results}}
  %y = plan.call "neg"(%x) {offsets = array<i64: 0, 64>} : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @param(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op parameter 'tanh' is not an integer, float, integer list or flag: "text"}}
  %y = plan.call "gelu"(%x) {params = {tanh = "text"}} : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// The kernel contract (runtime/format/KernelContract.cpp): the kernel,
// operand and result counts, and each parameter's name, type and cases.

func.func @unknown_kernel(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'plan.call' op calls 'scale_in_place', which is not a kernel of the plan}}
  %y = plan.call "scale_in_place"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @operand_count(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'rms_norm' takes 2 operands (x, weight), not 1}}
  %y = plan.call "rms_norm"(%x) {params = {epsilon = 1.0e-5 : f32}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @optional_operands(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'linear' takes 2 to 3 operands (x, weight, bias?), not 4}}
  %y = plan.call "linear"(%x, %w, %x, %x) : (tensor<2x8xf32>, tensor<8x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @absent_required(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op lists operand 1 of 'linear' as absent, which is not an optional operand (x, weight, bias?)}}
  %y = plan.call "linear"(%x) {absent = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @result_count(%a: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'add_rms_norm' gives 2 results (sum, y), not 1}}
  %y = plan.call "add_rms_norm"(%a, %a, %w) {params = {epsilon = 1.0e-5 : f32}} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @linears_counts(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  // expected-error @+1 {{'plan.call' op kernel 'linears' takes x, one weight per result and a bias per result or none: 4 operands do not fit 2 results}}
  %y:2 = plan.call "linears"(%x, %w, %w, %b) : (tensor<2x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>)
  return %y#0, %y#1 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

func.func @missing_param(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'rms_norm' needs parameter 'epsilon' (a float: added to the variance)}}
  %y = plan.call "rms_norm"(%x, %w) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @mistyped_param(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'rms_norm' parameter 'epsilon' must be a float, not an integer}}
  %y = plan.call "rms_norm"(%x, %w) {params = {epsilon = 1 : i64}} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @list_for_integer(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'softmax' parameter 'axis' must be an integer, not an integer list of 2}}
  %y = plan.call "softmax"(%x) {params = {axis = array<i64: 0, 1>}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @flag_with_value(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'gelu' parameter 'tanh' must be a flag, not a float}}
  %y = plan.call "gelu"(%x) {params = {tanh = 1.0 : f32}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @unknown_param(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'rms_norm' has no parameter 'eps'}}
  %y = plan.call "rms_norm"(%x, %w) {params = {eps = 1.0e-5 : f32, epsilon = 1.0e-5 : f32}} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @enum_case(%x: tensor<1x2x4x8xf32>, %t: tensor<16x4xf32>, %p: tensor<2xi64>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'plan.call' op kernel 'rope' parameter 'mode' is 2, not a case of interleaved|half}}
  %y = plan.call "rope"(%x, %t, %t, %p) {params = {mode = 2}} : (tensor<1x2x4x8xf32>, tensor<16x4xf32>, tensor<16x4xf32>, tensor<2xi64>) -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
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
