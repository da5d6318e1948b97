"""A chain of elementwise ops compiled into one fused_elementwise kernel
computes what onnxruntime computes.

usage: fused_elementwise.py WORK_DIR

Builds y = exp(-(x * x)) * 0.5 + tanh(x) / 3 - x as an ONNX graph over
x [5, 300] (1500 elements: several blocks of the kernel and a partial
one), compiles it with llmc (printing the plan), runs it with llmc-run and
compares with onnxruntime. Prints the fused calls of the plan and the
largest difference; exits 1 above 1e-6.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

work = sys.argv[1]
os.makedirs(work, exist_ok=True)
scalar = lambda name, value: numpy_helper.from_array(
    np.array(value, dtype=np.float32), name)
nodes = [
    helper.make_node("Mul", ["x", "x"], ["sq"]),
    helper.make_node("Neg", ["sq"], ["nsq"]),
    helper.make_node("Exp", ["nsq"], ["e"]),
    helper.make_node("Mul", ["e", "half"], ["he"]),
    helper.make_node("Tanh", ["x"], ["t"]),
    helper.make_node("Div", ["t", "three"], ["t3"]),
    helper.make_node("Add", ["he", "t3"], ["s"]),
    helper.make_node("Sub", ["s", "x"], ["y"]),
]
graph = helper.make_graph(
    nodes, "chain",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 300])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [5, 300])],
    [scalar("half", 0.5), scalar("three", 3.0)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
path = os.path.join(work, "chain.onnx")
onnx.save(model, path)

artifact = os.path.join(work, "chain.llmc")
plan = os.path.join(work, "chain.plan.mlir")
subprocess.run(["llmc", "compile", path, "-o", artifact, "--print-plan", plan],
               check=True, capture_output=True)
for line in open(plan):
    if "plan.call" in line:
        print(line.split(" : ")[0].strip())

x = np.random.default_rng(3).normal(size=(5, 300)).astype(np.float32)
np.save(os.path.join(work, "x.npy"), x)
subprocess.run(["llmc-run", artifact, "run", "--input",
                os.path.join(work, "x.npy"), "--output-dir", work],
               check=True, capture_output=True)
got = np.load(os.path.join(work, "result_0.npy"))
want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
    None, {"x": x})[0]
worst = float(np.abs(got - want).max())
print(f"max |llmc - onnxruntime| = {worst:.1e} over {x.size} elements")
sys.exit(0 if worst <= 1e-6 else 1)
