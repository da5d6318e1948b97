"""Logits of an llmc artifact against onnxruntime on the same ONNX file.

usage: ort_parity.py --work DIR [--tolerance T] [--decode-tolerance T]
                     [--tokens N[,N...]] [--greedy G] MODEL.onnx...

Compiles each model with `llmc compile` into DIR, then feeds a fixed
pseudo-random prompt of N tokens to onnxruntime (with an empty past, a mask
of ones and positions 0..N-1 where the graph takes them) and to `llmc-run
ARTIFACT logits`, and prints the largest absolute difference at any
position, for each N given (lengths past every sliding window of the model
are what show a wrong mask); then compares llmc's logits decoded token by token through its KV
cache with its one-call logits (must agree within 1e-5, or
--decode-tolerance: decode steps of quantized weights round activations to
int8 on VNNI CPUs). MatMulNBits nodes are run by onnxruntime in fp32
(accuracy_level 0, the op's definition; the level 4 that int4 exports ask
for lets it round activations to int8 too). With --greedy G, G tokens
generated greedily by `llmc-run generate` after the first prompt must be
the ones onnxruntime's argmax picks step by step. Exits 1 when a bound is
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


def onnxruntime_logits(session, ids):
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


def greedy_difference(session, llmc_run, artifact, prompt, count):
    """The first step at which llmc's greedy tokens differ from
    onnxruntime's argmax over the whole sequence so far, or None."""
    command = [llmc_run, "--json", artifact, "generate", "--prompt-ids",
               ",".join(map(str, prompt)), "--max-tokens", str(count),
               "--ignore-eos"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"ort_parity: {' '.join(command)} failed:\n{result.stderr}")
    generated = json.loads(result.stdout)["ids"]
    ids = list(prompt)
    for step in range(count):
        expected = int(np.argmax(onnxruntime_logits(session, ids)[-1]))
        if step >= len(generated) or generated[step] != expected:
            return step
        ids.append(expected)
    return None


def check(model, artifact, args):
    session = exact_session(model)
    vocab = session.get_outputs()[0].shape[-1]
    if not isinstance(vocab, int):
        sys.exit("ort_parity: the logits output has no static vocabulary")
    longest = max(args.tokens)
    ids = np.random.default_rng(1234).integers(0, vocab, longest).tolist()
    differences = []
    for n in args.tokens:
        reference = onnxruntime_logits(session, ids[:n])
        full = llmc_logits(args.llmc_run, artifact, ids[:n], False)
        if full.shape != reference.shape:
            sys.exit(f"ort_parity: llmc gave logits {full.shape}, "
                     f"onnxruntime {reference.shape}")
        differences.append(float(np.abs(full - reference).max()))
    stepped = llmc_logits(args.llmc_run, artifact, ids, True)
    vs_full = float(np.abs(stepped - full).max())
    ok = max(differences) <= args.tolerance and \
        vs_full <= args.decode_tolerance
    name = os.path.basename(os.path.dirname(model))
    lengths = ", ".join(map(str, args.tokens))
    found = ", ".join(f"{d:.2e}" for d in differences)
    line = (f"{name}: {lengths} positions x {vocab}: max |llmc - "
            f"onnxruntime| = {found} (bound {args.tolerance:g}); max "
            f"|cached decode - full| = {vs_full:.2e} (bound "
            f"{args.decode_tolerance:g})")
    if args.greedy:
        step = greedy_difference(session, args.llmc_run, artifact,
                                 ids[:min(args.tokens)], args.greedy)
        ok = ok and step is None
        line += (f"; {args.greedy} greedy tokens: " +
                 ("identical" if step is None else f"differ at step {step}"))
    print(f"{line}: {'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+")
    parser.add_argument("--work", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--decode-tolerance", type=float, default=1e-5)
    parser.add_argument("--tokens", default=[32],
                        type=lambda s: [int(n) for n in s.split(",")])
    parser.add_argument("--greedy", type=int, default=0)
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
