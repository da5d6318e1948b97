// What llmc-raise proves of a computed attention mask before raising it:
// causal for every length up to max-positions, or it records why not.
// RUN: llmc-opt %s --llmc-raise --split-input-file | FileCheck %s
// RUN: llmc-opt %s --llmc-raise=max-positions=64 --split-input-file | FileCheck %s --check-prefix=SHORT

// A sliding window of 100 keys (key j visible to query i when
// i - 100 < j <= i) looks causal at every length under 101: only the long
// sample (4096 positions, rows around the constant 100) shows it. Compiled
// for at most 64 positions, it is causal attention.
// CHECK-LABEL: func.func @window_past_the_small_samples
// CHECK-NOT: llmc.softmax
// CHECK: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} causal window 100 scale 1.000000e+00
// SHORT-LABEL: func.func @window_past_the_small_samples
// SHORT: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 1.000000e+00
func.func @window_past_the_small_samples(%q: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %k: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %v: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>> {
  %ninf = llmc.constant dense<0xFF800000> : tensor<f32>
  %window = llmc.constant dense<100> : tensor<i64>
  %pos = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %rows = llmc.reshape %pos : tensor<?xi64, #llmc.dims<sequence>> -> tensor<?x1xi64, #llmc.dims<sequence>>
  %oldest = llmc.sub %rows, %window : (tensor<?x1xi64, #llmc.dims<sequence>>, tensor<i64>) -> tensor<?x1xi64, #llmc.dims<sequence>>
  %causal = llmc.compare le, %pos, %rows : (tensor<?xi64, #llmc.dims<sequence>>, tensor<?x1xi64, #llmc.dims<sequence>>) -> tensor<?x?xi1, #llmc.dims<sequence, sequence>>
  %recent = llmc.compare gt, %pos, %oldest : (tensor<?xi64, #llmc.dims<sequence>>, tensor<?x1xi64, #llmc.dims<sequence>>) -> tensor<?x?xi1, #llmc.dims<sequence, sequence>>
  %visible = llmc.and %causal, %recent : (tensor<?x?xi1, #llmc.dims<sequence, sequence>>, tensor<?x?xi1, #llmc.dims<sequence, sequence>>) -> tensor<?x?xi1, #llmc.dims<sequence, sequence>>
  %kt = llmc.transpose %k [0, 1, 3, 2] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>
  %s = llmc.matmul %q, %kt : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %m = llmc.select %visible, %s, %ninf : (tensor<?x?xi1, #llmc.dims<sequence, sequence>>, tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<f32>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %p = llmc.softmax %m axis 3 : tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %o = llmc.matmul %p, %v : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
  return %r : tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
}

// -----

// A mask that is causal up to 2000 positions and then lets every query see
// every key (a threshold of the length, not of the positions): only the
// evaluation at the maximum length finds it.
// CHECK-LABEL: func.func @changes_past_2000
// CHECK-NOT: llmc.attention
// CHECK: llmc.softmax %{{.*}} {llmc.unraised = "attention not recognised: the query at position 0 sees key 1, a later position: not causal (at batch=1, sequence=4096)"}
// SHORT-LABEL: func.func @changes_past_2000
// SHORT: llmc.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 1.000000e+00
func.func @changes_past_2000(%q: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %k: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, %v: tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>> {
  %ninf = llmc.constant dense<0xFF800000> : tensor<f32>
  %limit = llmc.constant dense<2000> : tensor<i64>
  %pos = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
  %rows = llmc.reshape %pos : tensor<?xi64, #llmc.dims<sequence>> -> tensor<?x1xi64, #llmc.dims<sequence>>
  %shape = llmc.shape_of %pos : tensor<?xi64, #llmc.dims<sequence>>
  %long = llmc.compare gt, %shape, %limit : (tensor<1xi64>, tensor<i64>) -> tensor<1xi1>
  %causal = llmc.compare le, %pos, %rows : (tensor<?xi64, #llmc.dims<sequence>>, tensor<?x1xi64, #llmc.dims<sequence>>) -> tensor<?x?xi1, #llmc.dims<sequence, sequence>>
  %visible = llmc.or %causal, %long : (tensor<?x?xi1, #llmc.dims<sequence, sequence>>, tensor<1xi1>) -> tensor<?x?xi1, #llmc.dims<sequence, sequence>>
  %kt = llmc.transpose %k [0, 1, 3, 2] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>
  %s = llmc.matmul %q, %kt : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>, tensor<?x4x16x?xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %m = llmc.select %visible, %s, %ninf : (tensor<?x?xi1, #llmc.dims<sequence, sequence>>, tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<f32>) -> tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %p = llmc.softmax %m axis 3 : tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>
  %o = llmc.matmul %p, %v : (tensor<?x4x?x?xf32, #llmc.dims<batch, sequence, sequence>>, tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>
  %r = llmc.transpose %o [0, 2, 1, 3] : (tensor<?x4x?x16xf32, #llmc.dims<batch, sequence>>) -> tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
  return %r : tensor<?x?x4x16xf32, #llmc.dims<batch, sequence>>
}
