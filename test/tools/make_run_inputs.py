"""A one-op ONNX graph (y = -x, x f32 [2, 3]) and good and bad .npy inputs
for it, for llmc-run run's error tests.

usage: make_run_inputs.py WORK_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

work = sys.argv[1]
os.makedirs(work, exist_ok=True)
graph = helper.make_graph(
    [helper.make_node("Neg", ["x"], ["y"])], "neg",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(work, "neg.onnx"))
x = np.arange(6, dtype=np.float32).reshape(2, 3)
np.save(os.path.join(work, "x.npy"), x)
np.save(os.path.join(work, "f64.npy"), x.astype(np.float64))
np.save(os.path.join(work, "shape.npy"), np.zeros((3, 2), np.float32))
np.save(os.path.join(work, "fortran.npy"), np.asfortranarray(np.ones((2, 3), np.float32)))
with open(os.path.join(work, "garbage.npy"), "wb") as f:
    f.write(b"not numpy at all")
with open(os.path.join(work, "x.npy"), "rb") as f:
    data = f.read()
with open(os.path.join(work, "short.npy"), "wb") as f:
    f.write(data[:-4])
