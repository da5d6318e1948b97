"""Import benchmark: llmc-import against onnxruntime loading the same file.

usage: python3 bench/import.py [--llmc-import build/bin/llmc-import]
                               (MODEL.onnx | --synthetic-mb N [--external])

Prints one table row per tool: wall time, peak RSS, and RSS as a multiple of
the model's size. llmc-import runs its full default job (import, fold,
raise) once with --check (no IR written) and once printing the IR to
/dev/null, and its phase times are shown; onnxruntime's row is
InferenceSession creation (graph optimizations off, CPU), the nearest peer
step. With --synthetic-mb a MatMul chain with N MB of fp32 weights is
generated first (random weights, made locally).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def synthetic(folder, megabytes, external):
    side = 1024
    count = max(1, megabytes * (1 << 20) // (side * side * 4))
    nodes, inits, prev = [], [], "x"
    rng = np.random.default_rng(0)
    for i in range(count):
        inits.append(numpy_helper.from_array(
            rng.standard_normal((side, side), dtype=np.float32), f"w{i}"))
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"], name=f"mm{i}"))
        prev = f"h{i}"
    graph = helper.make_graph(
        nodes, "chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["sequence", side])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ["sequence", side])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = os.path.join(folder, "model.onnx")
    onnx.save(model, path, save_as_external_data=external,
              all_tensors_to_one_file=True, location="model.bin")
    return path


def model_bytes(path):
    folder = os.path.dirname(os.path.abspath(path))
    total = os.path.getsize(path)
    model = onnx.load(path, load_external_data=False)
    locations = {e.value for t in model.graph.initializer
                 for e in t.external_data if e.key == "location"}
    return total + sum(os.path.getsize(os.path.join(folder, l)) for l in locations)


def timed(command):
    run = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + command,
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{run.stderr}")
    wall, rss_kb = run.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kb) * 1024, run.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?")
    parser.add_argument("--llmc-import", default="build/bin/llmc-import")
    parser.add_argument("--synthetic-mb", type=int)
    parser.add_argument("--external", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.model or synthetic(folder, args.synthetic_mb, args.external)
        size = model_bytes(path)
        rows = []
        wall, rss, log = timed([args.llmc_import, path, "--check"])
        phases = re.search(r"([\d.]+) s import, ([\d.]+) s clean-up and raising", log)
        rows.append(("llmc-import --check (import+fold+raise)", wall, rss,
                     f"import {phases.group(1)} s, passes {phases.group(2)} s"))
        wall, rss, _ = timed([args.llmc_import, path, "-o", os.devnull])
        rows.append(("llmc-import -o /dev/null (+ printing IR)", wall, rss,
                     "weights printed as hex"))
        ort = ("import onnxruntime as o, sys; s = o.SessionOptions(); "
               "s.graph_optimization_level = o.GraphOptimizationLevel.ORT_DISABLE_ALL; "
               "o.InferenceSession(sys.argv[1], s, providers=['CPUExecutionProvider'])")
        wall, rss, _ = timed([sys.executable, "-c", ort, path])
        rows.append(("onnxruntime InferenceSession", wall, rss, "graph opts off"))
        print(f"model: {path}, {size / 2**20:.1f} MiB")
        print(f"| tool | wall s | peak RSS MiB | RSS / model | notes |")
        print(f"|---|---|---|---|---|")
        for name, wall, rss, note in rows:
            print(f"| {name} | {wall:.2f} | {rss / 2**20:.0f} | {rss / size:.2f}x | {note} |")


if __name__ == "__main__":
    main()
