"""Writes small ONNX models, one per file under argv[1], for converters that
no shipped model exercises (onnxruntime's and newer opsets' fused ops)."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

root = sys.argv[1]
os.makedirs(root, exist_ok=True)


def save(name, nodes, inits, opset):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["sequence", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["sequence", 8])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    with open(os.path.join(root, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


scale = numpy_helper.from_array(np.full(8, 2.0, np.float32), "scale")
save("simplified-layer-norm",
     [helper.make_node("SimplifiedLayerNormalization", ["x", "scale"], ["y"],
                       name="rms", epsilon=1e-6, axis=-1)], [scale], 17)
save("gelu-tanh",
     [helper.make_node("Gelu", ["x"], ["y"], name="act", approximate="tanh")], [], 20)
save("gelu-exact", [helper.make_node("Gelu", ["x"], ["y"], name="act")], [], 20)


def save_attention(name, mask_nodes, upper):
    """Causal self-attention over q, k, v [batch, sequence, 2, 8] whose mask
    is Trilu of ones of the scores' [sequence, sequence] shape."""
    qkv = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", "sequence", 2, 8])
           for n in ("q", "k", "v")]
    c = lambda n, v, t=np.float32: numpy_helper.from_array(np.array(v, t), n)
    nodes = [
        helper.make_node("Transpose", ["q"], ["qt"], perm=[0, 2, 1, 3]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["v"], ["vt"], perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["qt", "kt"], ["s"]),
        helper.make_node("Mul", ["s", "scale"], ["scaled"]),
        helper.make_node("Shape", ["scaled"], ["shape"]),
        helper.make_node("Slice", ["shape", "two", "four"], ["square"]),
        helper.make_node("ConstantOfShape", ["square"], ["ones"],
                         value=numpy_helper.from_array(np.array([1.0], np.float32))),
        helper.make_node("Trilu", ["ones"], ["tri"], upper=upper),
        *mask_nodes,
        helper.make_node("Softmax", ["masked"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "vt"], ["o"]),
        helper.make_node("Transpose", ["o"], ["y"], perm=[0, 2, 1, 3], name="attn_out"),
    ]
    inits = [c("scale", 0.35355339), c("two", [2], np.int64), c("four", [4], np.int64),
             c("zero", 0.0), c("ninf", -np.inf)]
    graph = helper.make_graph(
        nodes, name, qkv,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "sequence", 2, 8])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with open(os.path.join(root, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


# Lower triangle of ones: Where(tri == 0, -inf, scores) is causal.
save_attention("attention-trilu", [
    helper.make_node("Equal", ["tri", "zero"], ["hidden"]),
    helper.make_node("Where", ["hidden", "ninf", "scaled"], ["masked"])], upper=0)
# The upper triangle instead: each query sees the later keys, not causal.
save_attention("attention-trilu-upper", [
    helper.make_node("Equal", ["tri", "zero"], ["hidden"]),
    helper.make_node("Where", ["hidden", "ninf", "scaled"], ["masked"])], upper=1)
