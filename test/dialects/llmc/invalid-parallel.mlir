// Invalid communication ops are rejected with a located diagnostic.
// RUN: llmc-opt %s -split-input-file -verify-diagnostics

func.func @all_reduce_one_rank(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{'llmc.all_reduce' op communicates among at least 2 ranks, got 1}}
  %0 = llmc.all_reduce %x ranks 1 : tensor<2x64xf32>
  return
}

// -----

func.func @all_reduce_integers(%x: tensor<2x64xi64>) {
  // expected-error @+1 {{'llmc.all_reduce' op operand #0 must be ranked tensor of floating-point values}}
  %0 = llmc.all_reduce %x ranks 2 : tensor<2x64xi64>
  return
}

// -----

func.func @all_gather_extent(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{'llmc.all_gather' op dimension 1 joins 2 x 256, got 256}}
  %0 = llmc.all_gather %x axis 1 ranks 2 : tensor<2x256xf32> -> tensor<2x256xf32>
  return
}

// -----

func.func @all_gather_other_dimension(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{'llmc.all_gather' op dimension 0 must be the input's 2, got 4}}
  %0 = llmc.all_gather %x axis 1 ranks 2 : tensor<2x256xf32> -> tensor<4x512xf32>
  return
}

// -----

func.func @all_gather_axis(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{'llmc.all_gather' op axis 2 is outside the input's 2 dimensions}}
  %0 = llmc.all_gather %x axis 2 ranks 2 : tensor<2x256xf32> -> tensor<2x256xf32>
  return
}

// -----

func.func @all_gather_element_type(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{'llmc.all_gather' op result must have the input's element type and rank}}
  %0 = llmc.all_gather %x axis 1 ranks 2 : tensor<2x256xf32> -> tensor<2x512xf16>
  return
}

// -----

func.func @send_stage(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{'llmc.send' op stage must be at least 0, got -1}}
  llmc.send %x to stage -1 : tensor<2x64xf32>
  return
}

// -----

func.func @recv_stage() {
  // expected-error @+1 {{'llmc.recv' op stage must be at least 0, got -2}}
  %0 = llmc.recv from stage -2 : tensor<2x64xf32>
  return
}
