"""Decode speed of quantized models: llmc int8 and int4 against fp32, the
DRAM bound of the bytes each reads, and onnxruntime on its own int4.

usage: quant_speed.py FOLDER [--threads 2] [--context 128] [--gen 32]
                      [--repeat 5] [--out bench/results]

FOLDER holds a model.onnx with past-KV inputs (export_llama_past.py). llmc
compiles it as fp32, int8 (per channel) and rtn-int4 (group 128, zero
points). onnxruntime's own int4 version is made once by its
MatMulNBitsQuantizer (block 128, asymmetric, accuracy_level 4: int8
activations in its CPU kernels, as llmc's VNNI decode path) and saved as
FOLDER/model.int4.onnx. The runs take turns --repeat times, each llmc run
after a llmc-membw reading; the bound of a variant is the median reading
over the bytes one decode step reads (every weight but the token
embedding). Writes OUT/quant-speed-<model>.json and prints the table.
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
    onnxruntime_run  # noqa: E402


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
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--gen", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    name = os.path.basename(os.path.normpath(args.folder))
    onnx_path = os.path.join(args.folder, "model.onnx")
    total, read = bytes_read_per_token(onnx_path)
    embedding = total - read

    variants = {"fp32": [], "int8": ["--quant", "int8"],
                "int4": ["--quant", "rtn-int4", "--group-size", "128"]}
    artifacts, reads = {}, {}
    for label, flags in variants.items():
        artifact = os.path.join(args.folder, f"llmc-{label}.llmc")
        subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx_path, "-o",
                        artifact, "--max-seq",
                        str(args.context + args.gen + 8), *flags], check=True,
                       capture_output=True)
        artifacts[label] = artifact
    # Bytes a decode step reads: each artifact's weight sections but the
    # (fp32) embedding table.
    for label, artifact in artifacts.items():
        reads[label] = os.path.getsize(artifact) - embedding
    int4_path = ort_int4(args.folder)
    reads["onnxruntime int4"] = bytes_read_per_token(int4_path)[1]

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(int4_path, options,
                                   providers=["CPUExecutionProvider"])
    prompt = [(i * 7919) % 1000 + 3 for i in range(args.context)]
    onnxruntime_run(session, prompt[:8], 2)  # warm-up
    tpot = {label: [] for label in list(artifacts) + ["onnxruntime int4"]}
    readings = []
    for _ in range(args.repeat):
        for label, artifact in artifacts.items():
            readings.append(bandwidth(args.threads))
            tpot[label].append(llmc_bench(artifact, args.threads,
                                          args.context, args.gen)[1])
        tpot["onnxruntime int4"].append(
            onnxruntime_run(session, prompt, args.gen)[1])
    bw = statistics.median(readings)
    rows = []
    for label, times in tpot.items():
        rate = 1000.0 / statistics.median(times)
        bound = bw / reads[label]
        rows.append({"variant": label if label.startswith("onnx")
                     else f"llmc {label}",
                     "bytes_per_token": reads[label], "tokens_per_s": rate,
                     "bound_tokens_per_s": bound,
                     "tpot_ms": times})
    peer = rows[-1]["tokens_per_s"]
    lines = [f"{name}: decode at {args.context} tokens of context, "
             f"{args.threads} threads, median of {args.repeat} alternating "
             f"runs; bound = {bw / 1e9:.1f} GB/s (median llmc-membw) / bytes "
             "read per token", "",
             "| variant | MB read per token | bound tok/s | decode tok/s | "
             "% of bound | vs onnxruntime int4 |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['bytes_per_token'] / 1e6:.1f} | "
            f"{r['bound_tokens_per_s']:.1f} | {r['tokens_per_s']:.1f} | "
            f"{100 * r['tokens_per_s'] / r['bound_tokens_per_s']:.0f} % | "
            f"{r['tokens_per_s'] / peer:.2f}x |")
    table = "\n".join(lines)
    print(table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"quant-speed-{name}.json"), "w") as f:
        json.dump({"model": name, "threads": args.threads,
                   "context": args.context, "gen": args.gen,
                   "bandwidth_readings": readings, "rows": rows,
                   "onnxruntime": ort.__version__}, f, indent=1)
    with open(os.path.join(args.out, f"quant-speed-{name}.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
