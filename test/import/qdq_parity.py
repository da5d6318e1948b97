"""Blocked DequantizeLinear weights (opset 21) against onnxruntime.

usage: qdq_parity.py WORK_DIR

Builds MatMul(x, DequantizeLinear(W)) graphs whose weight W [K, N] is int4
in blocks of 32 along K (with and without zero points), uint4 with zero
points, int8 per output channel and uint8 per tensor; compiles each with
`llmc compile --print-plan` (the weight must stay quantized: a qconstant
in the plan), runs it with `llmc-run ... run` on a random x [5, K] and
prints the largest difference from onnxruntime (its graph optimizations
off, so that it dequantizes and multiplies as the ops say). Exits 1 beyond 1e-5
(relative to the output's scale) or when a weight was not kept quantized.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

K, N = 64, 24


def build(name, dtype, values, scale, zero, axis, block):
    inputs = ["w", "scale"] + (["zero"] if zero is not None else [])
    attrs = {"axis": axis}
    if block:
        attrs["block_size"] = block
    nodes = [helper.make_node("DequantizeLinear", inputs, ["wd"], **attrs),
             helper.make_node("MatMul", ["x", "wd"], ["y"], name="proj")]
    inits = [helper.make_tensor("w", dtype, [K, N], values.flatten().tolist()),
             numpy_helper.from_array(scale.astype(np.float32), "scale")]
    if zero is not None:
        inits.append(helper.make_tensor("zero", dtype, list(zero.shape),
                                        zero.flatten().tolist()))
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                    [5, K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)],
                             ir_version=10)


def cases(rng):
    blocks = rng.random((K // 32, N)) * 0.1 + 0.01
    yield "int4-blocked", build("int4-blocked", TensorProto.INT4,
                                rng.integers(-8, 8, (K, N)), blocks, None, 0, 32)
    yield "uint4-blocked-zero", build(
        "uint4-blocked-zero", TensorProto.UINT4, rng.integers(0, 16, (K, N)),
        blocks, rng.integers(0, 16, (K // 32, N)), 0, 32)
    yield "int8-channel", build("int8-channel", TensorProto.INT8,
                                rng.integers(-127, 128, (K, N)),
                                rng.random(N) * 0.01 + 0.001, None, 1, 0)
    yield "uint8-tensor-zero", build(
        "uint8-tensor-zero", TensorProto.UINT8, rng.integers(0, 256, (K, N)),
        np.array(0.02), np.array(128), 1, 0)


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(7)
    ok = True
    for name, model in cases(rng):
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        artifact = os.path.join(work, name + ".llmc")
        plan = os.path.join(work, name + ".plan")
        subprocess.run(["llmc", "compile", path, "-o", artifact,
                        "--print-plan", plan], check=True, capture_output=True)
        quantized = "llmc.qconstant" in open(plan).read()
        x = rng.standard_normal((5, K)).astype(np.float32)
        np.save(os.path.join(work, name + ".x.npy"), x)
        subprocess.run(["llmc-run", artifact, "run", "--input",
                        os.path.join(work, name + ".x.npy"), "--output-dir",
                        work], check=True, capture_output=True)
        got = np.load(os.path.join(work, "result_0.npy"))
        # Without graph optimizations: onnxruntime would otherwise fuse the
        # pair into an integer MatMul that rounds x to int8.
        options = ort.SessionOptions()
        options.graph_optimization_level = \
            ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        want = ort.InferenceSession(
            path, options, providers=["CPUExecutionProvider"]).run(
                None, {"x": x})[0]
        error = float(np.abs(got - want).max() / (np.abs(want).max() + 1e-30))
        good = quantized and error <= 1e-5
        ok &= good
        print(f"{name}: kept quantized: {quantized}; max |llmc - "
              f"onnxruntime| / max |y| = {error:.1e}: "
              f"{'PASS' if good else 'FAIL'}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
