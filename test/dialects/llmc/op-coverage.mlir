// Every op of the dialect has a round-trip test (ops.mlir) and an invalid-IR
// test (invalid-*.mlir).
// RUN: %python %S/op_coverage.py %llmc_src | FileCheck %s
// CHECK: {{[0-9]+}} ops, each with a round-trip and an invalid-IR test
