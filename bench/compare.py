"""llmc and onnxruntime, each with a KV cache, on the same ONNX file.

usage: compare.py FOLDER|MODEL.onnx... [--threads 2] [--context 128,1024] [--gen 64]
                  [--repeat 3] [--out bench/results]

Each FOLDER holds a model.onnx, best with past-KV inputs
(export_llama_past.py); make_llama_onnx.py's files have none, and then
onnxruntime has no cache: its TPOT is one single-token forward, the floor of
what a cached step could cost it (marked "no cache" in the table). For each
context length (the prompt) it measures, with the same threads:
- llmc: `llmc compile` then `llmc-run bench --json` (TTFT and TPOT, median
  of --repeat runs after a warm-up);
- onnxruntime (CPUExecutionProvider): the prompt with an empty past (TTFT),
  then --gen steps of one token feeding its presents back as the past
  (TPOT), median of --repeat runs after a warm-up;
- the bound: decode reads every weight once per token but one row of the
  token embedding, so tokens/s <= read bandwidth / those bytes (bandwidth
  from llmc-membw in the same run).
Writes OUT/<model>.json and OUT/summary.md (and OUT/decode.png when
matplotlib is installed) and prints the table.
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


def bytes_read_per_token(path):
    """(all weight bytes, bytes one decode step reads)."""
    model = onnx.load(path, load_external_data=False)
    gathered, other = set(), set()
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            (gathered if node.op_type == "Gather" and index == 0
             else other).add(name)
    total = read = 0
    for tensor in model.graph.initializer:
        size = int(np.prod(tensor.dims)) * np.dtype(
            onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize
        total += size
        if not (tensor.name in gathered and tensor.name not in other):
            read += size
    return total, read


def bandwidth(threads):
    out = subprocess.run([os.path.join(BIN, "llmc-membw"), "--threads",
                          str(threads)], check=True, capture_output=True,
                         text=True).stdout
    return float(re.search(r"([0-9.]+) GB/s", out).group(1)) * 1e9


def onnxruntime_run(session, prompt, gen):
    """(TTFT ms, TPOT ms) of one greedy generation with onnxruntime's cache
    (without past-KV inputs: the prompt, then single-token forwards)."""
    inputs = {i.name: i for i in session.get_inputs()}
    pasts = [n for n in inputs if n.startswith("past_key_values")]
    if not pasts:
        def forward(tokens):
            start = time.perf_counter()
            session.run(None, {"input_ids": np.array([tokens], np.int64)})
            return (time.perf_counter() - start) * 1000
        return forward(prompt), statistics.median(
            forward(prompt[:1]) for _ in range(gen))
    kv_heads, head_dim = inputs[pasts[0]].shape[1], inputs[pasts[0]].shape[3]
    feeds = {"input_ids": np.array([prompt], dtype=np.int64),
             "attention_mask": np.ones((1, len(prompt)), dtype=np.int64)}
    if "position_ids" in inputs:
        feeds["position_ids"] = np.arange(len(prompt), dtype=np.int64)[None]
    for name in pasts:
        feeds[name] = np.zeros((1, kv_heads, 0, head_dim), dtype=np.float32)
    outputs = [o.name for o in session.get_outputs()]
    start = time.perf_counter()
    result = session.run(outputs, feeds)
    token = int(np.argmax(result[0][0, -1]))
    ttft = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    length = len(prompt)
    for _ in range(gen):
        feeds = {"input_ids": np.array([[token]], dtype=np.int64),
                 "attention_mask": np.ones((1, length + 1), dtype=np.int64)}
        if "position_ids" in inputs:
            feeds["position_ids"] = np.array([[length]], dtype=np.int64)
        for name, value in zip(outputs[1:], result[1:]):
            feeds[name.replace("present", "past_key_values")] = value
        result = session.run(outputs, feeds)
        token = int(np.argmax(result[0][0, -1]))
        length += 1
    return ttft, (time.perf_counter() - start) * 1000 / gen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", default="128,1024")
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    contexts = [int(c) for c in args.context.split(",")]
    os.makedirs(args.out, exist_ok=True)
    read = bandwidth(args.threads)
    rows = []
    for folder in args.folders:
        path = folder if folder.endswith(".onnx") else os.path.join(
            folder, "model.onnx")
        name = os.path.basename(os.path.normpath(folder)).removesuffix(
            ".onnx")
        total, per_token = bytes_read_per_token(path)
        bound_ms = per_token / read * 1000
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options,
                                       providers=["CPUExecutionProvider"])
        vocab = session.get_outputs()[0].shape[-1]
        with tempfile.TemporaryDirectory() as work:
            artifact = os.path.join(work, "model.llmc")
            subprocess.run([os.path.join(BIN, "llmc"), "compile", path, "-o",
                            artifact, "--max-seq",
                            str(max(contexts) + args.gen)],
                           check=True, capture_output=True)
            figures = os.path.join(work, "bench.json")
            subprocess.run([os.path.join(BIN, "llmc-run"), artifact,
                            "--threads", str(args.threads), "bench",
                            "--prompt-len", args.context, "--gen",
                            str(args.gen), "--repeat", str(args.repeat),
                            "--json", figures], check=True,
                           capture_output=True)
            llmc = json.load(open(figures))["runs"]
        for context, mine in zip(contexts, llmc):
            prompt = np.random.default_rng(context).integers(
                3, vocab, context).tolist()
            onnxruntime_run(session, prompt[:8], 2)  # warm-up
            runs = [onnxruntime_run(session, prompt, args.gen)
                    for _ in range(args.repeat)]
            theirs_ttft = statistics.median(r[0] for r in runs)
            theirs_tpot = statistics.median(r[1] for r in runs)
            cached = any(i.name.startswith("past_key_values")
                         for i in session.get_inputs())
            rows.append({
                "model": name, "onnxruntime_cache": cached,
                "weight_bytes": total,
                "bytes_read_per_token": per_token, "context": context,
                "gen": args.gen, "threads": args.threads,
                "read_bandwidth": read, "bound_tokens_per_s": 1000 / bound_ms,
                "llmc": {"ttft_ms": mine["ttft_ms"][0],
                         "tpot_ms": mine["tpot_ms"][0]},
                "onnxruntime": {"ttft_ms": theirs_ttft,
                                "tpot_ms": theirs_tpot}})
        with open(os.path.join(args.out, f"{name}.json"), "w") as f:
            json.dump([r for r in rows if r["model"] == name], f, indent=1)

    lines = [f"{args.threads} threads, read bandwidth {read / 1e9:.1f} GB/s "
             f"(llmc-membw), onnxruntime {ort.__version__}", "",
             "| model | context | bound tok/s | llmc decode tok/s (% of bound)"
             " | onnxruntime decode tok/s (% of bound) | llmc / ort | llmc "
             "prefill tok/s | ort prefill tok/s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        bound = r["bound_tokens_per_s"]
        mine = 1000 / r["llmc"]["tpot_ms"]
        theirs = 1000 / r["onnxruntime"]["tpot_ms"]
        lines.append(
            f"| {r['model']} | {r['context']} | {bound:.1f} | {mine:.1f} "
            f"({100 * mine / bound:.0f} %) | {theirs:.1f} "
            f"({100 * theirs / bound:.0f} %)"
            f"{'' if r['onnxruntime_cache'] else ' no cache'} | "
            f"{mine / theirs:.2f}x | "
            f"{r['context'] / r['llmc']['ttft_ms'] * 1000:.0f} | "
            f"{r['context'] / r['onnxruntime']['ttft_ms'] * 1000:.0f} |")
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(table + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)", file=sys.stderr)
        return
    shortest = [r for r in rows if r["context"] == min(contexts)]
    sizes = [r["bytes_read_per_token"] / 1e6 for r in shortest]
    plt.figure(figsize=(6, 4))
    plt.plot(sizes, [r["bound_tokens_per_s"] for r in shortest], "k--",
             label="bandwidth bound")
    plt.plot(sizes, [1000 / r["llmc"]["tpot_ms"] for r in shortest], "o-",
             label="llmc")
    plt.plot(sizes, [1000 / r["onnxruntime"]["tpot_ms"] for r in shortest],
             "s-", label="onnxruntime")
    plt.xscale("log")
    plt.yscale("log")
    plt.xlabel("MB of weights read per token")
    plt.ylabel(f"decode tokens/s ({min(contexts)} tokens of context)")
    plt.legend()
    plt.tight_layout()
    plt.savefig(os.path.join(args.out, "decode.png"), dpi=120)


if __name__ == "__main__":
    main()
