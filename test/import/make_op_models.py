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
