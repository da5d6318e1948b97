// Bad input to llmc-opt: a located error, a non-zero exit, no crash (`not`
// without --crash fails on a crash).
// RUN: split-file %s %t
// RUN: not llmc-opt %t/syntax.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not llmc-opt %t/unknown-op.mlir 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not llmc-opt %t/bad-attr.mlir 2>&1 | FileCheck %s --check-prefix=ATTR
// RUN: not llmc-opt %t/verifier.mlir 2>&1 | FileCheck %s --check-prefix=VERIFY
// RUN: not llmc-opt %t/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not llmc-opt --no-such-flag %t/valid.mlir 2>&1 | FileCheck %s --check-prefix=FLAG
// RUN: not llmc-opt --llmc-cleanup="max-iterations=many" %t/valid.mlir 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not llmc-opt --llmc-cleanup="bogus=1" %t/valid.mlir 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OPTION
// RUN: not llmc-opt %t/binary.mlir 2>&1 | FileCheck %s --check-prefix=BINARY

// SYNTAX: syntax.mlir:2:16: error: expected SSA operand
// UNKNOWN: unknown-op.mlir:2:8: error: custom op 'llmc.frobnicate' is unknown
// ATTR: bad-attr.mlir:1:31: error: group size 3 does not divide in_features 64
// VERIFY: verifier.mlir:2:8: error: 'llmc.softmax' op axis 5 is out of range for rank 2
// MISSING: cannot open input file '{{.*}}does-not-exist.mlir': No such file or directory
// FLAG: Unknown command line argument '--no-such-flag'
// OPTION: for the --max-iterations option: 'many' value invalid for long argument
// UNKNOWN-OPTION: no such option bogus
// BINARY: binary.mlir:1:1: error: unexpected character

//--- syntax.mlir
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = llmc.neg(%x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
//--- unknown-op.mlir
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = llmc.frobnicate %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
//--- bad-attr.mlir
func.func @f(%w: !llmc.qweight<32x64xsi4, group 3, scale f16>)
//--- verifier.mlir
func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = llmc.softmax %x axis 5 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
//--- valid.mlir
func.func @f() {
  return
}
//--- binary.mlir
ELF