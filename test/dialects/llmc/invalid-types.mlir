// Malformed quantized weight types and dimension encodings are rejected.
// RUN: llmc-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{group size 48 does not divide in_features 64}}
func.func @group_divides(%w: !llmc.qweight<32x64xsi4, group 48, scale f16>)

// -----

// expected-error @+1 {{storage type must be si4, ui4, si8, ui8, f8E4M3FN or f8E5M2, got 'i4'}}
func.func @signless_storage(%w: !llmc.qweight<32x64xi4, group 32, scale f16>)

// -----

// expected-error @+1 {{storage type must be si4, ui4, si8, ui8, f8E4M3FN or f8E5M2, got 'f16'}}
func.func @float_storage(%w: !llmc.qweight<32x64xf16, per_tensor, scale f16>)

// -----

// expected-error @+1 {{scale type must be f32, f16 or bf16, got 'i8'}}
func.func @scale_type(%w: !llmc.qweight<32x64xsi8, per_channel, scale i8>)

// -----

// expected-error @+1 {{fp8 weights take no zero point}}
func.func @fp8_zero(%w: !llmc.qweight<32x64xf8E4M3FN, per_tensor, scale f32, zero f16>)

// -----

// expected-error @+1 {{zero point type must be the storage type ('ui4') or a float type, got 'si8'}}
func.func @zero_type(%w: !llmc.qweight<32x64xui4, group 32, scale f16, zero si8>)

// -----

// expected-error @+1 {{quantized weight must be 2-D [out, in], got rank 3}}
func.func @rank(%w: !llmc.qweight<2x32x64xsi8, per_channel, scale f32>)

// -----

// expected-error @+1 {{4-bit weights pack two per byte along in_features, which must be even, got 63}}
func.func @odd_int4(%w: !llmc.qweight<32x63xsi4, per_channel, scale f32>)

// -----

// expected-error @+1 {{group size must be positive, got 0}}
func.func @zero_group(%w: !llmc.qweight<32x64xsi4, group 0, scale f32>)

// -----

// expected-error @+1 {{expected 'per_tensor', 'per_channel' or 'group N'}}
func.func @granularity(%w: !llmc.qweight<32x64xsi4, per_row, scale f32>)

// -----

// expected-error @+1 {{expected static shape}}
func.func @dynamic(%w: !llmc.qweight<?x64xsi4, per_channel, scale f32>)

// -----

// expected-error @+1 {{#llmc.dims names 1 dimension(s) but the tensor has 2 dynamic one(s)}}
func.func @dims_count(%a: tensor<?x?xf32, #llmc.dims<sequence>>)

// -----

// expected-error @+1 {{#llmc.dims must name at least one dimension}}
func.func @dims_unnamed(%a: tensor<?xf32, #llmc.dims<?>>)
