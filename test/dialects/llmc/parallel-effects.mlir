// Every rank runs the same communication in the same order: canonicalization
// and CSE neither remove an all_reduce whose result is unused nor merge two
// identical ones, nor drop a send.
// RUN: llmc-opt %s --canonicalize --cse | FileCheck %s

// CHECK-LABEL: func.func @kept
// CHECK-COUNT-2: llmc.all_reduce
// CHECK: llmc.all_gather
// CHECK: llmc.recv
// CHECK: llmc.send
func.func @kept(%x: tensor<2x64xf32>) {
  %0 = llmc.all_reduce %x ranks 2 : tensor<2x64xf32>
  %1 = llmc.all_reduce %x ranks 2 : tensor<2x64xf32>
  %2 = llmc.all_gather %x axis 1 ranks 2 : tensor<2x64xf32> -> tensor<2x128xf32>
  %3 = llmc.recv from stage 0 : tensor<2x64xf32>
  llmc.send %x to stage 1 : tensor<2x64xf32>
  return
}
