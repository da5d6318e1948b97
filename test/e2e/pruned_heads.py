"""A head-pruned artifact against onnxruntime on the model with those heads
zeroed.

usage: pruned_heads.py MODEL.onnx --heads 'L:h,h;L:h' --work DIR
                       [--unit query|group] [--prompt-ids 1,2,3]
                       [--tolerance 1e-4]

Compiles MODEL with `llmc compile --insert-pass
after-raise=llmc-prune-heads{heads=... unit=...}` and reads its remarks:
for each pruned layer, the query heads (with unit group: those of the
removed KV groups), head_dim and the model file's output-projection weight
and the axis of its input features. Removing a head is zeroing its output
before the output projection (a removed KV group's keys and values feed
its query heads alone), so the reference is MODEL with those input
features of that weight set to 0, run by onnxruntime (which llmc did not
write). Prints the largest difference of the logits at every prompt
position, relative to the largest logit; exits 1 above the tolerance.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("--heads", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--unit", default="query", choices=["query", "group"])
parser.add_argument("--prompt-ids", default="1,403,407,261,135,471,275,291,260")
parser.add_argument("--tolerance", type=float, default=1e-4)
args = parser.parse_args()
os.makedirs(args.work, exist_ok=True)
artifact = os.path.join(args.work, "pruned.llmc")

compiled = subprocess.run(
    ["llmc", "compile", args.model, "-o", artifact, "--insert-pass",
     f"after-raise=llmc-prune-heads{{heads={args.heads} unit={args.unit}}}"],
    capture_output=True, text=True)
if compiled.returncode != 0:
    sys.exit(f"pruned_heads: llmc compile failed:\n{compiled.stderr}")
remark = re.compile(r"llmc-prune-heads: layer (\d+): removed query heads "
                    r"([\d,]+) of \d+(?: with KV groups [\d,]+ of \d+)?, "
                    r"head_dim (\d+), output projection "
                    r"'([^']+)' input features on axis (\d)")
pruned = [m.groups() for m in map(remark.search, compiled.stderr.splitlines())
          if m]
if not pruned:
    sys.exit("pruned_heads: llmc compile reported no pruned layer:\n" +
             compiled.stderr)

model = onnx.load(args.model)
initializers = {init.name: init for init in model.graph.initializer}
for layer, heads, head_dim, name, axis in pruned:
    if name not in initializers:
        sys.exit(f"pruned_heads: layer {layer}: no initializer '{name}'")
    init = initializers[name]
    weight = numpy_helper.to_array(init).copy()
    dim = int(head_dim)
    for head in map(int, heads.split(",")):
        index = [slice(None)] * weight.ndim
        index[int(axis)] = slice(head * dim, (head + 1) * dim)
        weight[tuple(index)] = 0
    init.CopyFrom(numpy_helper.from_array(weight, name))
    print(f"layer {layer}: heads {heads} zeroed in '{name}' (axis {axis})")

ids = [int(i) for i in args.prompt_ids.split(",")]


def onnxruntime_logits(model_bytes):
    session = ort.InferenceSession(model_bytes,
                                   providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) != 1:
        sys.exit("pruned_heads: the reference takes one input (token ids), "
                 f"this model takes {len(inputs)}")
    feed = {inputs[0].name: np.array([ids], dtype=np.int64)}
    return session.run(None, feed)[0][0]


want = onnxruntime_logits(model.SerializeToString())
# The check must be able to fail: pruning has to move the logits by much
# more than the tolerance.
unpruned = onnxruntime_logits(onnx.load(args.model).SerializeToString())
moved = float(np.abs(unpruned - want).max() / np.abs(want).max())
print(f"pruning moved the logits by {moved:.2e} of the largest")
if moved <= 100 * args.tolerance:
    sys.exit("pruned_heads: pruning these heads hardly moves the logits; "
             "the comparison would not show a wrong pruning")

scale = float(np.abs(want).max())
worst = 0.0
# In one call from position 0, and one token at a time through the KV
# cache (where a pruned layer reads its own heads of a shared plane).
for mode in ([], ["--incremental"]):
    ran = subprocess.run(["llmc-run", artifact, "logits", "--prompt-ids",
                          args.prompt_ids] + mode,
                         capture_output=True, text=True)
    if ran.returncode != 0:
        sys.exit(f"pruned_heads: llmc-run failed:\n{ran.stderr}")
    got = np.array(json.loads(ran.stdout)["logits"], dtype=np.float64)
    if got.shape != want.shape:
        sys.exit(f"pruned_heads: logits of shape {got.shape}, onnxruntime's "
                 f"{want.shape}")
    worst = max(worst, float(np.abs(got - want).max()))
relative = worst / scale
print(f"max |difference| {worst:.3e} against largest |logit| {scale:.3e}: "
      f"relative {relative:.2e} (tolerance {args.tolerance:g}) over "
      f"{len(ids)} positions, in one call and one at a time")
sys.exit(0 if relative <= args.tolerance else 1)
