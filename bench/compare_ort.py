"""llmc vs onnxruntime on the same ONNX file: prefill and decode on the CPU.

usage: compare_ort.py MODEL.onnx [--threads 2] [--prompt-len 128] [--gen 64]
                      [--repeat 3] [--json OUT.json]

Compiles MODEL with `llmc compile` (into a temporary folder), then measures:
- llmc: `llmc-run generate` with a prompt of --prompt-len pseudo-random ids
  and --gen new tokens (greedy, EOS ignored): TTFT (the prefill of the
  prompt), TPOT (decode through the KV cache) and peak RSS; median of
  --repeat runs.
- onnxruntime (CPUExecutionProvider, same threads): the prefill of the same
  prompt, and one forward of a single token. The file has no past-KV
  inputs, so onnxruntime has no cache here: its single-token forward is the
  floor of what a cached decode step could cost it (the weights are read
  once either way); with the full prompt each step would cost a prefill.
- the bound: decode reads every weight once per token (of an untied token
  embedding only one row), so tokens/s <= read bandwidth / those bytes;
  the bandwidth is `llmc-membw`'s, measured in the same run.

Prints a Markdown table; --json also writes the figures.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "..", "build", "bin")


def tool(name):
    return os.path.join(BIN, name)


def weight_bytes(path):
    """(all weight bytes, bytes one decode step reads): a table only looked
    up by Gather (an untied token embedding) is read one row per token."""
    model = onnx.load(path, load_external_data=False)
    gathered, other = set(), set()
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            (gathered if node.op_type == "Gather" and index == 0
             else other).add(name)
    total = read = 0
    for tensor in model.graph.initializer:
        count = int(np.prod(tensor.dims)) if tensor.dims else 1
        size = count * np.dtype(onnx.helper.tensor_dtype_to_np_dtype(
            tensor.data_type)).itemsize
        total += size
        if not (tensor.name in gathered and tensor.name not in other):
            read += size
    return total, read


def bandwidth(threads):
    out = subprocess.run([tool("llmc-membw"), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    match = re.search(r"([0-9.]+) GB/s", out)
    if not match:
        sys.exit(f"compare_ort: cannot read llmc-membw's output:\n{out}")
    return float(match.group(1)) * 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt-len", type=int, default=128)
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()

    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"],
                                   sess_options=_options(args.threads))
    vocab = session.get_outputs()[0].shape[-1]
    ids = np.random.default_rng(7).integers(3, vocab, args.prompt_len)

    with tempfile.TemporaryDirectory() as work:
        artifact = os.path.join(work, "model.llmc")
        subprocess.run([tool("llmc"), "compile", args.model, "-o", artifact,
                        "--max-seq", str(args.prompt_len + args.gen)],
                       check=True, capture_output=True)
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [tool("llmc-run"), artifact, "--threads", str(args.threads),
                 "--json", "generate", "--prompt-ids",
                 ",".join(map(str, ids)), "--max-tokens", str(args.gen),
                 "--ignore-eos"], check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout))
    llmc_ttft = statistics.median(r["ttft_ms"] for r in runs)
    llmc_tpot = statistics.median(r["tpot_ms"] for r in runs)
    llmc_rss = max(r["peak_rss_bytes"] for r in runs)

    def forward(tokens):
        feeds = {"input_ids": np.array([tokens], dtype=np.int64)}
        start = time.perf_counter()
        session.run(None, feeds)
        return (time.perf_counter() - start) * 1000

    forward(ids[:8])  # warm-up
    ort_prefill = statistics.median(forward(ids) for _ in range(args.repeat))
    ort_token = statistics.median(forward(ids[:1]) for _ in range(20))

    weights, per_token = weight_bytes(args.model)
    read = bandwidth(args.threads)
    bound_ms = per_token / read * 1000
    rows = [
        ("llmc", llmc_ttft, llmc_tpot),
        ("onnxruntime (no cache: one-token forward)", ort_prefill, ort_token),
    ]
    name = os.path.basename(args.model)
    print(f"{name}: {weights / 1e6:.0f} MB of weights ({per_token / 1e6:.0f}"
          f" MB read per decoded token), {args.threads} threads, read "
          f"bandwidth {read / 1e9:.1f} GB/s -> decode bound "
          f"{bound_ms:.2f} ms/token ({1000 / bound_ms:.1f} tokens/s)\n")
    print(f"| engine | prefill {args.prompt_len} tokens (ms) | prefill "
          f"tokens/s | decode ms/token | decode tokens/s | % of bound |")
    print("|---|---|---|---|---|---|")
    for engine, prefill, token in rows:
        print(f"| {engine} | {prefill:.1f} | {args.prompt_len / prefill * 1000:.0f}"
              f" | {token:.2f} | {1000 / token:.1f} | "
              f"{100 * bound_ms / token:.0f} % |")
    print(f"\nllmc peak RSS {llmc_rss / 2**20:.0f} MiB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": name, "threads": args.threads,
                       "weight_bytes": weights,
                       "bytes_read_per_token": per_token,
                       "read_bandwidth": read,
                       "prompt_len": args.prompt_len, "gen": args.gen,
                       "llmc": {"ttft_ms": llmc_ttft, "tpot_ms": llmc_tpot,
                                "peak_rss_bytes": llmc_rss},
                       "onnxruntime": {"prefill_ms": ort_prefill,
                                       "one_token_forward_ms": ort_token}},
                      f, indent=1)


def _options(threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return options


if __name__ == "__main__":
    main()
