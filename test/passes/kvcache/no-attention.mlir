// RUN: llmc-opt %s --llmc-kv-cache | FileCheck %s

// A graph without attention has nothing to cache: it keeps @main, and the
// module records no cache layout.
// CHECK: module {
// CHECK-NOT: llmc.kv_cache
// CHECK: func.func @main(%{{.*}}: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %{{.*}}: tensor<?x?x8xf32, #llmc.dims<batch, sequence>>)
// CHECK-NEXT: llmc.neg
// CHECK-NOT: func.func @prefill
// CHECK-NOT: func.func @decode
func.func @main(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %x: tensor<?x?x8xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x8xf32, #llmc.dims<batch, sequence>> {
  %n = llmc.neg %x : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
  return %n : tensor<?x?x8xf32, #llmc.dims<batch, sequence>>
}
