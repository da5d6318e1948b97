// RUN: llmc-opt %s --llmc-speculative-verify --split-input-file -verify-diagnostics
// RUN: not llmc-opt %s --split-input-file "--llmc-speculative-verify=draft-tokens=0" 2>&1 | FileCheck %s --check-prefix=ZERO

// ZERO: error: llmc-speculative-verify: draft-tokens must be at least 1, not 0

// Without @decode there is no cache to verify against.
// expected-error @+1 {{llmc-speculative-verify: no @decode (run llmc-kv-cache first}}
module {
  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// The decode position read by anything but the cache ops and the
// sequence's positions has no per-sequence meaning.
module {
  func.func @decode(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %position: tensor<i64> {llmc.name = "position"}) -> tensor<i64> {
    // expected-error @+1 {{llmc-speculative-verify: llmc.mul reads the decode position; @verify has one per sequence}}
    %n = llmc.mul %position, %position : (tensor<i64>, tensor<i64>) -> tensor<i64>
    return %n : tensor<i64>
  }
}

// -----

// Positions that flow into an op whose result type cannot follow them
// (a reshape names its own) are refused, naming the op.
module {
  func.func @decode(%ids: tensor<?x?xi64, #llmc.dims<batch, sequence>>, %position: tensor<i64> {llmc.name = "position"}) -> tensor<1x?xi64, #llmc.dims<sequence>> {
    %iota = llmc.iota : tensor<?xi64, #llmc.dims<sequence>>
    %shifted = llmc.add %iota, %position : (tensor<?xi64, #llmc.dims<sequence>>, tensor<i64>) -> tensor<?xi64, #llmc.dims<sequence>>
    // expected-error @+1 {{llmc-speculative-verify: llmc.reshape reads the sequence's positions, which become one row per sequence, and its result type cannot follow}}
    %row = llmc.reshape %shifted : tensor<?xi64, #llmc.dims<sequence>> -> tensor<1x?xi64, #llmc.dims<sequence>>
    return %row : tensor<1x?xi64, #llmc.dims<sequence>>
  }
}
