"""A chain of elementwise ops compiled into one fused_elementwise kernel
computes what onnxruntime computes.

usage: fused_elementwise.py WORK_DIR [--target cuda:sm_XY,...]

Builds y = exp(-(x * x)) * 0.5 + tanh(x) / 3 - x as an ONNX graph over
x [5, 300] (1500 elements: several blocks of the kernel and a partial
one), compiles it with llmc (printing the plan), runs it with llmc-run and
compares with onnxruntime. Prints the fused calls of the plan and the
largest difference; exits 1 above 1e-6.

With --target cuda:... (and --dtype f32), the compile also writes the
generated CUDA C++
(WORK_DIR/chain.cu) and prints llmc's summary; when llmc-run refuses the
artifact (no usable GPU here) it prints llmc-run's error and stops.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

work = sys.argv[1]
target = sys.argv[3] if len(sys.argv) == 4 and sys.argv[2] == "--target" else "cpu"
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
command = ["llmc", "compile", path, "-o", artifact, "--print-plan", plan,
           "--target", target]
if target != "cpu":
    # f32 on the GPU too, so that its result compares with onnxruntime's.
    command += ["--dtype", "f32", "--emit-cuda", os.path.join(work, "chain.cu")]
compiled = subprocess.run(command, check=True, capture_output=True, text=True)
for line in open(plan):
    if "plan.call" in line:
        print(line.split(" : (")[0].strip())
if target != "cpu":
    print(compiled.stderr)

x = np.random.default_rng(3).normal(size=(5, 300)).astype(np.float32)
np.save(os.path.join(work, "x.npy"), x)
ran = subprocess.run(["llmc-run", artifact, "run", "--input",
                      os.path.join(work, "x.npy"), "--output-dir", work],
                     capture_output=True, text=True)
if ran.returncode != 0:
    print(f"llmc-run exit {ran.returncode}: {ran.stderr.strip()}")
    sys.exit(0 if target != "cpu" else 1)
got = np.load(os.path.join(work, "result_0.npy"))
want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
    None, {"x": x})[0]
worst = float(np.abs(got - want).max())
print(f"max |llmc - onnxruntime| = {worst:.1e} over {x.size} elements")
sys.exit(0 if worst <= 1e-6 else 1)
