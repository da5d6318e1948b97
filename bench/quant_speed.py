"""Decode speed of quantized models: llmc int8 and int4 against fp32, the
DRAM bound of the bytes each reads, and onnxruntime on its own int4.

usage: quant_speed.py FOLDER [--threads 2] [--context 16,128] [--gen 32]
                      [--repeat 5] [--out bench/results]

FOLDER holds a model.onnx with past-KV inputs (export_llama_past.py). llmc
compiles it as fp32, int8 (per channel) and rtn-int4 (group 128, zero
points). onnxruntime's own int4 version is made once by its
MatMulNBitsQuantizer (block 128, asymmetric, accuracy_level 4: int8
activations in its CPU kernels, as llmc's VNNI decode path) and saved as
FOLDER/model.int4.onnx. At each context the runs take turns --repeat
times, each after a llmc-membw reading. The bound of a variant is the
bandwidth over the weight bytes one decode step reads (every weight but the
token embedding): the packed size, at the median of all readings (this
machine's bandwidth drifts with its other tenants; setting each run
against the reading just before it varied more). A step also reads the
fp32 KV cache of the context so far (at 128 tokens of llama-110m, 18 % of
the int4 weights), so the table also gives the share of the bound for
weights and cache together. Writes OUT/quant-speed-<model>.json and .md,
and prints the tables.
"""
import argparse
import json
import logging
import os
import statistics
import subprocess
import sys

import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import BIN, bandwidth, bytes_read_per_token, llmc_bench, \
    onnxruntime_run, ort_session  # noqa: E402


def ort_int4(folder):
    path = os.path.join(folder, "model.int4.onnx")
    if not os.path.exists(path):
        from onnxruntime.quantization.matmul_nbits_quantizer import \
            MatMulNBitsQuantizer
        logging.getLogger("onnxruntime.quantization").setLevel(logging.WARNING)
        quantizer = MatMulNBitsQuantizer(
            onnx.load(os.path.join(folder, "model.onnx")), block_size=128,
            is_symmetric=False, accuracy_level=4)
        quantizer.process()
        quantizer.model.save_model_to_file(path, use_external_data_format=True)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", default="16,128",
                        help="contexts to decode at, comma-separated")
    parser.add_argument("--gen", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    name = os.path.basename(os.path.normpath(args.folder))
    onnx_path = os.path.join(args.folder, "model.onnx")
    total, read = bytes_read_per_token(onnx_path)
    embedding = total - read

    contexts = [int(c) for c in args.context.split(",")]
    kv_per_position = kv_bytes_per_position(onnx_path)
    variants = {"fp32": [], "int8": ["--quant", "int8"],
                "int4": ["--quant", "rtn-int4", "--group-size", "128"]}
    artifacts, reads = {}, {}
    for label, flags in variants.items():
        artifact = os.path.join(args.folder, f"llmc-{label}.llmc")
        subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx_path, "-o",
                        artifact, "--max-seq",
                        str(max(contexts) + args.gen + 8), *flags],
                       check=True, capture_output=True)
        artifacts[label] = artifact
    # Bytes a decode step reads: each artifact's weight sections but the
    # (fp32) embedding table.
    for label, artifact in artifacts.items():
        reads[label] = os.path.getsize(artifact) - embedding
    int4_path = ort_int4(args.folder)
    reads["onnxruntime int4"] = bytes_read_per_token(int4_path)[1]

    session = ort_session(int4_path, args.threads)
    onnxruntime_run(session, [3] * 8, 2)  # warm-up
    runs, tables = [], []
    for context in contexts:
        prompt = [(i * 7919) % 1000 + 3 for i in range(context)]
        labels = list(artifacts) + ["onnxruntime int4"]
        tpot = {label: [] for label in labels}
        readings = {label: [] for label in labels}
        for _ in range(args.repeat):
            for label in labels:
                # A bandwidth reading before each run: it drifts with the
                # other tenants of the machine; the bound takes the median
                # of all (one reading against one run varied more).
                readings[label].append(bandwidth(args.threads))
                tpot[label].append(
                    llmc_bench(artifacts[label], args.threads, context,
                               args.gen)[1] if label in artifacts else
                    onnxruntime_run(session, prompt, args.gen)[1])
        all_readings = [r for label in labels for r in readings[label]]
        bw = statistics.median(all_readings)
        # The cache a step reads: on average context + gen / 2 positions.
        cache = kv_per_position * (context + args.gen / 2)
        rows = []
        for label in labels:
            times = tpot[label]
            rate = 1000.0 / statistics.median(times)

            def share(extra):
                return rate * (reads[label] + extra) / bw
            rows.append({"variant": label if label.startswith("onnx")
                         else f"llmc {label}",
                         "bytes_per_token": reads[label],
                         "cache_bytes_per_token": cache,
                         "tokens_per_s": rate,
                         "bound_tokens_per_s": bw / reads[label],
                         "share_of_bound": share(0.0),
                         "share_of_bound_with_cache": share(cache),
                         "tpot_ms": times,
                         "bandwidth_readings": readings[label]})
        runs.append({"context": context, "rows": rows})
        peer = rows[-1]["tokens_per_s"]
        lines = [f"{name}: decode at {context} tokens of context, "
                 f"{args.threads} threads, median of {args.repeat} "
                 f"alternating runs, each after a llmc-membw reading; bound = "
                 f"{bw / 1e9:.1f} GB/s (the median reading) / weight bytes "
                 f"read per token; the fp32 KV cache adds "
                 f"{cache / 1e6:.1f} MB per token", "",
                 "| variant | weight MB per token | bound tok/s | decode tok/s "
                 "| % of bound | % of bound with the cache | vs onnxruntime "
                 "int4 |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(
                f"| {r['variant']} | {r['bytes_per_token'] / 1e6:.1f} | "
                f"{r['bound_tokens_per_s']:.1f} | {r['tokens_per_s']:.1f} | "
                f"{100 * r['share_of_bound']:.0f} % | "
                f"{100 * r['share_of_bound_with_cache']:.0f} % | "
                f"{r['tokens_per_s'] / peer:.2f}x |")
        tables.append("\n".join(lines))
    text = "\n\n".join(tables)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"quant-speed-{name}.json"), "w") as f:
        json.dump({"model": name, "threads": args.threads, "gen": args.gen,
                   "runs": runs, "onnxruntime": ort.__version__}, f, indent=1)
    with open(os.path.join(args.out, f"quant-speed-{name}.md"), "w") as f:
        f.write(text + "\n")


def kv_bytes_per_position(onnx_path):
    """fp32 bytes of one position of the KV cache: per past-KV input
    [batch, kv_heads, past, head_dim], kv_heads x head_dim x 4."""
    model = onnx.load(onnx_path, load_external_data=False)
    total = 0
    for value in model.graph.input:
        if value.name.startswith("past_key_values"):
            dims = value.type.tensor_type.shape.dim
            total += dims[1].dim_value * dims[3].dim_value * 4
    if not total:
        sys.exit(f"{onnx_path} has no past_key_values inputs with static "
                 "heads and head size")
    return total


if __name__ == "__main__":
    main()
