"""Logits of an llmc artifact against onnxruntime on the same ONNX file.

usage: ort_parity.py --work DIR [--tolerance T] [--decode-tolerance T]
                     [--tokens N] MODEL.onnx...

Compiles each model with `llmc compile` into DIR, then feeds a fixed pseudo-random prompt of N tokens to onnxruntime (with an empty
past, a mask of ones and positions 0..N-1 where the graph takes them) and to
`llmc-run ARTIFACT logits`, and prints the largest absolute difference at any
position; then compares llmc's logits decoded token by token through its KV
cache with its one-call logits (must agree within 1e-5, or
--decode-tolerance: decode steps of quantized weights round activations to
int8 on VNNI CPUs). MatMulNBits nodes are run by onnxruntime in fp32
(accuracy_level 0, the op's definition; the level 4 that int4 exports ask
for lets it round activations to int8 too). Exits 1 when a bound is
exceeded for any model.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort

ONNX_TO_NUMPY = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


def exact_session(path):
    """onnxruntime on `path`, with MatMulNBits computed in fp32."""
    import onnx
    model = onnx.load(path)
    changed = False
    for node in model.graph.node:
        for attribute in node.attribute:
            if node.op_type == "MatMulNBits" and \
                    attribute.name == "accuracy_level" and attribute.i != 0:
                attribute.i = 0
                changed = True
    if not changed:
        return ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])


def onnxruntime_logits(path, ids):
    session = exact_session(path)
    n = len(ids)
    feeds = {}
    for arg in session.get_inputs():
        dtype = ONNX_TO_NUMPY[arg.type]
        name = arg.name
        if name == "input_ids":
            feeds[name] = np.array([ids], dtype=dtype)
        elif name == "attention_mask":
            feeds[name] = np.ones((1, n), dtype=dtype)
        elif name == "position_ids":
            feeds[name] = np.arange(n, dtype=dtype)[None, :]
        elif "past" in name:
            # [batch, kv_heads, past, head_dim] with an empty past.
            shape = [1 if not isinstance(d, int) else d for d in arg.shape]
            shape[2] = 0
            feeds[name] = np.zeros(shape, dtype=dtype)
        else:
            sys.exit(f"ort_parity: no value for input {name!r}")
    outputs = [o.name for o in session.get_outputs()]
    logits = session.run([outputs[0]], feeds)[0]
    return logits[0].astype(np.float64)


def llmc_logits(llmc_run, artifact, ids, incremental):
    command = [llmc_run, artifact, "logits", "--prompt-ids",
               ",".join(map(str, ids))]
    if incremental:
        command.append("--incremental")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"ort_parity: {' '.join(command)} failed:\n{result.stderr}")
    return np.array(json.loads(result.stdout)["logits"], dtype=np.float64)


def check(model, artifact, args):
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    vocab = session.get_outputs()[0].shape[-1]
    if not isinstance(vocab, int):
        sys.exit("ort_parity: the logits output has no static vocabulary")
    ids = np.random.default_rng(1234).integers(0, vocab, args.tokens).tolist()
    reference = onnxruntime_logits(model, ids)
    full = llmc_logits(args.llmc_run, artifact, ids, False)
    stepped = llmc_logits(args.llmc_run, artifact, ids, True)
    if full.shape != reference.shape:
        sys.exit(f"ort_parity: llmc gave logits {full.shape}, onnxruntime "
                 f"{reference.shape}")
    vs_ort = float(np.abs(full - reference).max())
    vs_full = float(np.abs(stepped - full).max())
    ok = vs_ort <= args.tolerance and vs_full <= args.decode_tolerance
    name = os.path.basename(os.path.dirname(model))
    print(f"{name}: {args.tokens} positions x {vocab}: max |llmc - "
          f"onnxruntime| = {vs_ort:.2e} (bound {args.tolerance:g}); max "
          f"|cached decode - full| = {vs_full:.2e} (bound "
          f"{args.decode_tolerance:g}): "
          f"{'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+")
    parser.add_argument("--work", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--decode-tolerance", type=float, default=1e-5)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--llmc", default="llmc")
    parser.add_argument("--llmc-run", default="llmc-run")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    ok = True
    for model in args.models:
        name = os.path.basename(os.path.dirname(model))
        artifact = os.path.join(args.work, name + ".llmc")
        compiled = subprocess.run([args.llmc, "compile", model, "-o",
                                   artifact], capture_output=True, text=True)
        if compiled.returncode != 0:
            print(f"{name}: llmc compile failed:\n{compiled.stderr}")
            ok = False
            continue
        ok = check(model, artifact, args) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
