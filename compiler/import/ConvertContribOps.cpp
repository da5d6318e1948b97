//===- ConvertContribOps.cpp - onnxruntime's com.microsoft ops to llmc ----===//
//
// onnxruntime-genai's model builder writes fused transformer ops of
// onnxruntime's com.microsoft domain. They translate straight to llmc's
// transformer ops (no raising needed):
//
//   SkipSimplifiedLayerNormalization(x, skip, gamma[, bias])
//       -> sum = x + skip (+ bias); rms_norm(sum, gamma); outputs 0 and 3
//   GroupQueryAttention(packed qkv | q, k, v; past_key, past_value [b, kv,
//       past, d]; seqlens_k [b]; total_sequence_length; cos_cache,
//       sin_cache) -> split, rope (positions seqlens_k + 1 - s + i), and
//       attention with the past, causal, keys j < seqlens_k + 1 visible;
//       present_key/value = Concat(past, new)
//
//===----------------------------------------------------------------------===//

#include "compiler/import/NodeImport.h"

using namespace mlir;

namespace llmc::onnx_import {

using Results = FailureOr<SmallVector<Value>>;

static Results convertSkipSimplifiedLayerNormalization(NodeImport &node) {
  FailureOr<Value> input = node.input(0), skip = node.input(1),
                   gamma = node.input(2);
  if (failed(input) || failed(skip) || failed(gamma))
    return failure();
  for (int i : {1, 2})
    if (i < node.node.output_size() && !node.node.output(i).empty())
      return node.error() << "output #" << i
                          << " (mean or inverse deviation) is not supported";
  FailureOr<AddOp> sum = createInferred<AddOp>(node, {*input, *skip});
  if (failed(sum))
    return failure();
  Value total = sum->getResult();
  if (node.hasInput(3)) {
    FailureOr<AddOp> biased =
        createInferred<AddOp>(node, {total, node.inputs[3]});
    if (failed(biased))
      return failure();
    total = biased->getResult();
  }
  if (total.getType() != input->getType())
    return node.error() << "input, skip and bias must broadcast to the input's "
                           "shape";
  Value normalized = RmsNormOp::create(
      node.builder, node.loc, total, *gamma,
      node.builder.getF32FloatAttr(node.floatAttr("epsilon", 1e-5f)));
  return SmallVector<Value>{normalized, Value(), Value(), total};
}

namespace {

/// What GroupQueryAttention's converter builds with.
struct GqaBuilder {
  NodeImport &node;
  OpBuilder &b;
  Location loc;

  /// [b, s, heads * d] as [b, s, heads, d].
  Value splitHeads(Value x, int64_t heads, int64_t headDim) {
    DimList dims = getDims(cast<RankedTensorType>(x.getType()));
    dims.back() = Dim::fixed(heads);
    dims.push_back(Dim::fixed(headDim));
    return ReshapeOp::create(b, loc, buildTensorType(dims, elementType(x)), x);
  }

  Value swapAxes12(Value x) {
    return TransposeOp::create(b, loc, x, ArrayRef<int64_t>{0, 2, 1, 3});
  }

  static Type elementType(Value x) {
    return cast<RankedTensorType>(x.getType()).getElementType();
  }
};

} // namespace

static Results convertGroupQueryAttention(NodeImport &node) {
  OpBuilder &b = node.builder;
  GqaBuilder gqa{node, b, node.loc};
  FailureOr<Value> query = node.input(0), pastKey = node.input(3),
                   pastValue = node.input(4), seqlensK = node.input(5);
  if (failed(query) || failed(pastKey) || failed(pastValue) || failed(seqlensK))
    return failure();
  for (unsigned i : {9u, 10u})
    if (node.hasInput(i))
      return node.error() << "input #" << i
                          << (i == 9 ? " (position_ids)" : " (attention_bias)")
                          << " is not supported";
  if (node.intAttr("local_window_size", -1) != -1)
    return node.error() << "local (sliding-window) attention is not supported";
  if (node.floatAttr("softcap", 0.0f) != 0.0f)
    return node.error() << "softcap is not supported";
  int64_t heads = node.intAttr("num_heads", 0);
  int64_t kvHeads = node.intAttr("kv_num_heads", 0);
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return node.error() << "num_heads (" << heads << ") must be a positive "
                        << "multiple of kv_num_heads (" << kvHeads << ")";
  RankedTensorType pastType = node.inputType(3);
  RankedTensorType queryType = node.inputType(0);
  if (pastType.getRank() != 4 || pastType.isDynamicDim(3) ||
      queryType.getRank() != 3 || queryType.isDynamicDim(2))
    return node.error() << "expects query [batch, sequence, features] and "
                           "past_key [batch, kv_heads, past, head_dim] with "
                           "static features and head_dim";
  int64_t headDim = pastType.getDimSize(3);

  // q, k, v as [b, s, heads, d]: one packed input split three ways, or three.
  Value q, k, v;
  if (!node.hasInput(1) && !node.hasInput(2)) {
    int64_t features = queryType.getDimSize(2);
    if (features != (heads + 2 * kvHeads) * headDim)
      return node.error() << "packed query has " << features
                          << " features, expected (num_heads + 2 * "
                             "kv_num_heads) * head_dim = "
                          << (heads + 2 * kvHeads) * headDim;
    DimList dims = getDims(queryType);
    SmallVector<Type> types;
    for (int64_t width :
         {heads * headDim, kvHeads * headDim, kvHeads * headDim}) {
      dims.back() = Dim::fixed(width);
      types.push_back(buildTensorType(dims, queryType.getElementType()));
    }
    auto split = SplitOp::create(b, node.loc, types, *query,
                                 b.getI64IntegerAttr(2), UnitAttr());
    q = split.getResult(0);
    k = split.getResult(1);
    v = split.getResult(2);
  } else {
    FailureOr<Value> key = node.input(1), value = node.input(2);
    if (failed(key) || failed(value))
      return failure();
    q = *query;
    k = *key;
    v = *value;
  }
  q = gqa.splitHeads(q, heads, headDim);
  k = gqa.splitHeads(k, kvHeads, headDim);
  v = gqa.splitHeads(v, kvHeads, headDim);

  // Valid keys per batch row: seqlens_k + 1 (the total length of the row).
  Type i64 = b.getI64Type();
  RankedTensorType seqlensType = node.inputType(5);
  if (seqlensType.getRank() != 1 ||
      !isa<IntegerType>(seqlensType.getElementType()))
    return node.error() << "seqlens_k must be 1-D integers, got "
                        << seqlensType;
  DimList batch = getDims(seqlensType);
  Value lengths =
      CastOp::create(b, node.loc, buildTensorType(batch, i64), *seqlensK);
  Value one =
      ConstantOp::create(b, node.loc,
                         DenseElementsAttr::get(RankedTensorType::get({}, i64),
                                                b.getI64IntegerAttr(1)));
  FailureOr<AddOp> total = createInferred<AddOp>(node, {lengths, one});
  if (failed(total))
    return failure();
  Value rowLength = ReshapeOp::create(
      b, node.loc, buildTensorType({batch[0], Dim::fixed(1)}, i64), *total);

  // RoPE at positions seqlens_k + 1 - s + i: the new tokens end the row.
  if (node.intAttr("do_rotary", 0)) {
    FailureOr<Value> cos = node.input(7), sin = node.input(8);
    if (failed(cos) || failed(sin))
      return failure();
    Dim sequence = getDims(queryType)[1];
    Value ones = ExpandOp::create(
        b, node.loc, buildTensorType({Dim::fixed(1), sequence}, i64), one);
    // s - i, as the reversed running count of ones.
    Value remaining = CumSumOp::create(
        b, node.loc, ones, b.getI64IntegerAttr(1), UnitAttr(), b.getUnitAttr());
    FailureOr<SubOp> positions =
        createInferred<SubOp>(node, {rowLength, remaining});
    if (failed(positions))
      return failure();
    RopeMode mode = node.intAttr("rotary_interleaved", 0)
                        ? RopeMode::interleaved
                        : RopeMode::half;
    auto rope = [&](Value x) -> Value {
      return RopeOp::create(b, node.loc, x, *cos, *sin, positions->getResult(),
                            mode);
    };
    q = rope(q);
    k = rope(k);
  }

  // Keys: the past ([b, kv, past, d]) then the new ones; key j of a row is
  // visible while j < its length.
  Value pastK = gqa.swapAxes12(*pastKey), pastV = gqa.swapAxes12(*pastValue);
  Dim keys = addDims(getDims(pastType)[2], getDims(queryType)[1]);
  Value keyIndex = IotaOp::create(b, node.loc, buildTensorType({keys}, i64));
  FailureOr<CompareOp> keyMask = [&]() -> FailureOr<CompareOp> {
    CompareOp::Properties properties;
    properties.setKind(CompareKindAttr::get(b.getContext(), CompareKind::lt));
    return createInferred<CompareOp>(node, {keyIndex, rowLength}, properties);
  }();
  if (failed(keyMask))
    return failure();
  float scale = node.floatAttr("scale", 0.0f);
  FloatAttr scaleAttr = b.getF32FloatAttr(
      scale != 0.0f ? scale : 1.0f / std::sqrt(float(headDim)));
  FailureOr<AttentionOp> attention = createInferred<AttentionOp>(
      node, {q, k, v, pastK, pastV, keyMask->getResult()}, [&] {
        AttentionOp::Properties properties;
        properties.setCausal(b.getUnitAttr());
        properties.setScale(scaleAttr);
        properties.operandSegmentSizes = {1, 1, 1, 1, 1, 1};
        return properties;
      }());
  if (failed(attention))
    return failure();
  DimList outDims = getDims(queryType);
  outDims.back() = Dim::fixed(heads * headDim);
  Value output = ReshapeOp::create(
      b, node.loc, buildTensorType(outDims, queryType.getElementType()),
      attention->getResult());

  // present = Concat(past, new) in [b, kv, total, d].
  auto present = [&](Value past, Value added) -> FailureOr<Value> {
    ConcatOp::Properties properties;
    properties.setAxis(b.getI64IntegerAttr(2));
    FailureOr<ConcatOp> concat = createInferred<ConcatOp>(
        node, {past, gqa.swapAxes12(added)}, properties);
    return failed(concat) ? FailureOr<Value>() : FailureOr<Value>(*concat);
  };
  FailureOr<Value> presentKey = present(*pastKey, k);
  FailureOr<Value> presentValue = present(*pastValue, v);
  if (failed(presentKey) || failed(presentValue))
    return failure();
  return SmallVector<Value>{output, *presentKey, *presentValue};
}

void registerContribConverters(ConverterMap &map) {
  map["com.microsoft.SkipSimplifiedLayerNormalization"] =
      convertSkipSimplifiedLayerNormalization;
  map["com.microsoft.GroupQueryAttention"] = convertGroupQueryAttention;
}

} // namespace llmc::onnx_import
