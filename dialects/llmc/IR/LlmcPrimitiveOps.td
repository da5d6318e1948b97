//===- LlmcPrimitiveOps.td - ONNX-level ops ----------------*- tablegen -*-===//
//
// The import target: ops close to ONNX semantics, restricted to what real
// transformer exports contain once shape arithmetic is folded away. Axes are
// always normalized (non-negative) and broadcasting follows numpy rules.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PRIMITIVE_OPS_TD
#define LLMC_PRIMITIVE_OPS_TD

def Llmc_ConstantOp : Llmc_Op<"constant",
    [ConstantLike, Pure, InferTypeOpAdaptor]> {
  let summary = "a tensor constant (weights, tables, scalars)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Llmc_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Llmc_InferredOp<mnemonic, traits, [{
      ::llvm::LogicalResult $cppClass::inferReturnTypes(
          ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
          Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
        return ::llmc::inferElementwiseResult(location, adaptor.getOperands(),
                                              inferred);
      }
    }]> {
  let summary = "elementwise " # mnemonic # " with numpy broadcasting";
  let arguments = (ins Llmc_Tensor:$lhs, Llmc_Tensor:$rhs);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Llmc_AddOp : Llmc_BinaryOp<"add", [Commutative]> { let hasFolder = 1; }
def Llmc_SubOp : Llmc_BinaryOp<"sub"> { let hasFolder = 1; }
def Llmc_MulOp : Llmc_BinaryOp<"mul", [Commutative]> { let hasFolder = 1; }
def Llmc_DivOp : Llmc_BinaryOp<"div"> { let hasFolder = 1; }
def Llmc_PowOp : Llmc_BinaryOp<"pow">;
def Llmc_MaxOp : Llmc_BinaryOp<"max", [Commutative]>;
def Llmc_MinOp : Llmc_BinaryOp<"min", [Commutative]>;

def Llmc_CompareOp : Llmc_InferredOp<"compare"> {
  let summary = "elementwise comparison with numpy broadcasting, to i1";
  let arguments = (ins Llmc_CompareKind:$kind, Llmc_Tensor:$lhs,
                       Llmc_Tensor:$rhs);
  let results = (outs Llmc_BoolTensor:$result);
  let assemblyFormat = [{
    $kind `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Llmc_SelectOp : Llmc_InferredOp<"select"> {
  let summary = "elementwise choice (ONNX Where) with numpy broadcasting";
  let arguments = (ins Llmc_BoolTensor:$condition, Llmc_Tensor:$on_true,
                       Llmc_Tensor:$on_false);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:`
    functional-type(operands, results)
  }];
}

class Llmc_UnaryOp<string mnemonic, list<Trait> traits = []>
    : Llmc_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType])> {
  let summary = "elementwise " # mnemonic;
  let arguments = (ins Llmc_FloatTensor:$input);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Llmc_NegOp : Llmc_UnaryOp<"neg"> { let hasFolder = 1; }
def Llmc_AbsOp : Llmc_UnaryOp<"abs">;
def Llmc_ExpOp : Llmc_UnaryOp<"exp">;
def Llmc_LogOp : Llmc_UnaryOp<"log">;
def Llmc_SqrtOp : Llmc_UnaryOp<"sqrt"> { let hasFolder = 1; }
def Llmc_RsqrtOp : Llmc_UnaryOp<"rsqrt">;
def Llmc_ReciprocalOp : Llmc_UnaryOp<"reciprocal">;
def Llmc_TanhOp : Llmc_UnaryOp<"tanh">;
def Llmc_ErfOp : Llmc_UnaryOp<"erf">;
def Llmc_SigmoidOp : Llmc_UnaryOp<"sigmoid">;

def Llmc_CosOp : Llmc_UnaryOp<"cos">;
def Llmc_SinOp : Llmc_UnaryOp<"sin">;

class Llmc_LogicalBinaryOp<string mnemonic>
    : Llmc_InferredOp<mnemonic, [Commutative], [{
      ::llvm::LogicalResult $cppClass::inferReturnTypes(
          ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
          Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
        return ::llmc::inferElementwiseResult(location, adaptor.getOperands(),
                                              inferred);
      }
    }]> {
  let summary = "elementwise logical " # mnemonic # " with numpy broadcasting";
  let arguments = (ins Llmc_BoolTensor:$lhs, Llmc_BoolTensor:$rhs);
  let results = (outs Llmc_BoolTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Llmc_AndOp : Llmc_LogicalBinaryOp<"and">;
def Llmc_OrOp : Llmc_LogicalBinaryOp<"or">;

def Llmc_NotOp : Llmc_Op<"not", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise logical negation";
  let arguments = (ins Llmc_BoolTensor:$input);
  let results = (outs Llmc_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Llmc_IsNanOp : Llmc_InferredOp<"is_nan"> {
  let summary = "elementwise: is the value NaN";
  let arguments = (ins Llmc_FloatTensor:$input);
  let results = (outs Llmc_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Llmc_CastOp : Llmc_Op<"cast", [Pure]> {
  let summary = "elementwise conversion to another element type";
  let arguments = (ins Llmc_Tensor:$input);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions and reductions
//===----------------------------------------------------------------------===//

def Llmc_MatmulOp : Llmc_InferredOp<"matmul"> {
  let summary = "batched matrix product [..., M, K] x [..., K, N]";
  let description = [{
    ONNX MatMul for operands of rank 2 or more: the leading (batch)
    dimensions broadcast, the last two multiply.
  }];
  let arguments = (ins Llmc_FloatTensor:$lhs, Llmc_FloatTensor:$rhs);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

class Llmc_ReduceOp<string mnemonic> : Llmc_InferredOp<mnemonic, [], [{
      ::llvm::LogicalResult $cppClass::inferReturnTypes(
          ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
          Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
        return ::llmc::inferReductionResult(location, adaptor.getInput(),
                                            adaptor.getAxes(),
                                            adaptor.getKeepDims(), inferred);
      }
    }]> {
  let summary = mnemonic # " over the given axes";
  let arguments = (ins Llmc_Tensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keep_dims);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input $axes (`keep_dims` $keep_dims^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Llmc_ReduceSumOp : Llmc_ReduceOp<"reduce_sum">;
def Llmc_ReduceMeanOp : Llmc_ReduceOp<"reduce_mean">;
def Llmc_ReduceMaxOp : Llmc_ReduceOp<"reduce_max">;

def Llmc_SoftmaxOp : Llmc_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis";
  let arguments = (ins Llmc_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Llmc_FloatTensor:$result);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Llmc_GatherOp : Llmc_InferredOp<"gather"> {
  let summary = "ONNX Gather: pick slices of `data` along `axis`";
  let arguments = (ins Llmc_Tensor:$data, Llmc_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` `axis` $axis attr-dict `:`
    functional-type(operands, results)
  }];
}

def Llmc_GatherNdOp : Llmc_InferredOp<"gather_nd"> {
  let summary = "ONNX GatherND: slices of `data` addressed by index tuples";
  let description = [{
    `indices` is [batch..., rest..., k]: each k-tuple addresses dims
    batch_dims .. batch_dims + k of `data`; the result is
    indices.shape[:-1] + data.shape[batch_dims + k:].
  }];
  let arguments = (ins Llmc_Tensor:$data, Llmc_IndexTensor:$indices,
                       I64Attr:$batch_dims);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` `batch_dims` $batch_dims attr-dict `:`
    functional-type(operands, results)
  }];
}

def Llmc_ScatterNdOp : Llmc_Op<"scatter_nd", [Pure]> {
  let summary = "ONNX ScatterND: `data` with slices replaced at index tuples";
  let description = [{
    `indices` is [rest..., k]: each k-tuple addresses dims 0 .. k of `data`,
    and the slice there (data.shape[k:]) becomes the matching one of
    `updates`, which is indices.shape[:-1] + data.shape[k:]. The result has
    `data`'s shape and element type. Later tuples win when two address the same slice
    (ONNX leaves that undefined; reduction "none" only).
  }];
  let arguments = (ins Llmc_Tensor:$data, Llmc_IndexTensor:$indices,
                       Llmc_Tensor:$updates);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $updates `into` $data `[` $indices `]` attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Llmc_CumSumOp : Llmc_Op<"cumsum", [Pure, SameOperandsAndResultType]> {
  let summary = "running sum along one axis (ONNX CumSum)";
  let arguments = (ins Llmc_Tensor:$input, I64Attr:$axis, UnitAttr:$exclusive,
                       UnitAttr:$reverse);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input `axis` $axis (`exclusive` $exclusive^)? (`reverse` $reverse^)?
    attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Llmc_ReshapeOp : Llmc_Op<"reshape", [Pure]> {
  let summary = "reinterpret a tensor with another shape of the same size";
  let description = [{
    The result type is the target shape; symbolic dimensions in it are how a
    reshape such as `[batch, sequence, 8, 8]` is expressed without any shape
    computation in the graph.
  }];
  let arguments = (ins Llmc_Tensor:$input);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Llmc_TransposeOp : Llmc_InferredOp<"transpose"> {
  let summary = "permute dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Llmc_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input $permutation attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Llmc_ConcatOp : Llmc_InferredOp<"concat"> {
  let summary = "join tensors along one axis";
  let arguments = (ins Variadic<Llmc_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Llmc_SliceOp : Llmc_Op<"slice", [Pure]> {
  let summary = "strided window of a tensor; its extent is the result shape";
  let description = [{
    Result element `i` along dimension `d` is input element
    `offsets[d] + i * strides[d]`. Sizes come from the result type, so a
    slice to a symbolic length (`mask[:sequence, :sequence]`) needs no
    shape operand. A negative offset counts from the end of its dimension
    (extent + offset): `offsets [0, -1, 0]` with a result extent of 1 is the
    last position of a symbolic sequence.
  }];
  let arguments = (ins Llmc_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$strides);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input `offsets` $offsets `strides` $strides attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Llmc_SplitOp : Llmc_Op<"split", [Pure]> {
  let summary = "cut a tensor into consecutive pieces along one axis";
  let description = [{
    The output types give the pieces' extents. With `even`, the pieces are
    ONNX's `num_outputs` split: each ceil(extent / outputs) long, the last
    what remains; their extents may then be unknown until the input's is.
  }];
  let arguments = (ins Llmc_Tensor:$input, I64Attr:$axis, UnitAttr:$even);
  let results = (outs Variadic<Llmc_Tensor>:$outputs);
  let assemblyFormat = [{
    $input `axis` $axis (`even` $even^)? attr-dict `:` type($input) `->`
    type($outputs)
  }];
  let hasVerifier = 1;
}

def Llmc_ExpandOp : Llmc_Op<"expand", [Pure]> {
  let summary = "broadcast a tensor to the result shape (ONNX Expand)";
  let arguments = (ins Llmc_Tensor:$input);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Llmc_TriluOp : Llmc_Op<"trilu", [Pure, SameOperandsAndResultType]> {
  let summary = "zero all but a triangle of the last two axes (ONNX Trilu)";
  let description = [{
    Keeps x[..., i, j] where j - i >= k (`upper`) or j - i <= k (lower) and
    zeroes the rest. Exporters build attention masks with it.
  }];
  let arguments = (ins Llmc_Tensor:$input, I64Attr:$k, UnitAttr:$upper);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input (`upper` $upper^)? `k` $k attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Llmc_IotaOp : Llmc_Op<"iota", [Pure]> {
  let summary = "0, 1, 2, ... along a 1-D result (ONNX Range from 0 by 1)";
  let results = (outs 1DTensorOf<[AnySignlessInteger]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Shape computations
//
// What exporters compute at run time from Shape(x): the importer translates
// it faithfully with these ops, and llmc-fold-shapes replaces them by static
// or symbolic dimensions in types. None is left after import clean-up.
//===----------------------------------------------------------------------===//

def Llmc_Shape : 1DTensorOf<[I64]>;
def Llmc_IntVector : 1DTensorOf<[I32, I64]>;
def Llmc_IntScalar : 0DTensorOf<[I32, I64]>;

def Llmc_ShapeOfOp : Llmc_InferredOp<"shape_of"> {
  let summary = "the extents of a tensor, as a 1-D i64 tensor (ONNX Shape)";
  let arguments = (ins Llmc_Tensor:$input);
  let results = (outs Llmc_Shape:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Llmc_DynamicReshapeOp : Llmc_Op<"dynamic_reshape", [Pure]> {
  let summary = "ONNX Reshape with a computed shape";
  let description = [{
    `shape` has one entry per result dimension, with ONNX's meaning: 0 copies
    the input extent at the same index (unless `allow_zero`), -1 is inferred
    from the element count (at most one).
  }];
  let arguments = (ins Llmc_Tensor:$input, Llmc_Shape:$shape,
                       UnitAttr:$allow_zero);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input `(` $shape `)` (`allow_zero` $allow_zero^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Llmc_DynamicExpandOp : Llmc_Op<"dynamic_expand", [Pure]> {
  let summary = "ONNX Expand with a computed shape (broadcast of both)";
  let arguments = (ins Llmc_Tensor:$input, Llmc_Shape:$shape);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input `(` $shape `)` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Llmc_DynamicSliceOp : Llmc_Op<"dynamic_slice", [Pure]> {
  let summary = "ONNX Slice with computed starts, ends, axes and steps";
  let description = [{
    ONNX semantics: negative starts/ends count from the end, both are
    clamped to the extent, axes may be negative.
  }];
  let arguments = (ins Llmc_Tensor:$input, Llmc_IntVector:$starts,
                       Llmc_IntVector:$ends, Llmc_IntVector:$axes,
                       Llmc_IntVector:$steps);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $starts `,` $ends `,` $axes `,` $steps `]` attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Llmc_RangeOp : Llmc_Op<"range",
    [Pure, AllTypesMatch<["start", "limit", "delta"]>]> {
  let summary = "start, start + delta, ... below limit (ONNX Range)";
  let arguments = (ins Llmc_IntScalar:$start, Llmc_IntScalar:$limit,
                       Llmc_IntScalar:$delta);
  let results = (outs Llmc_IntVector:$result);
  let assemblyFormat = [{
    $start `,` $limit `,` $delta attr-dict `:` type($start) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Llmc_ConstantOfShapeOp : Llmc_Op<"constant_of_shape", [Pure]> {
  let summary = "a tensor of a computed shape filled with one value";
  let arguments = (ins Llmc_Shape:$shape, TypedAttrInterface:$value);
  let results = (outs Llmc_Tensor:$result);
  let assemblyFormat = [{
    $shape `,` $value attr-dict `:` type($shape) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LLMC_PRIMITIVE_OPS_TD
