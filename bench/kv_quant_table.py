"""The KV-cache accuracy table of docs/kv-cache.md: fortunes3m with its paged
cache held as f32, f16, int8 and fp8, with f32 and awq-int4 weights.

usage: python3 bench/kv_quant_table.py [--models ../shared/models]
           [--work /tmp/kv-quant-table] [--out bench/results]

Each artifact scores fortunes3m.eval.txt token by token (llmc-run eval
--incremental: every position after a passage's first reads its past from
the cache), against the artifact with the same weights and an f32 cache
(KL divergence, top-1 agreement). awq-int4 uses group 64, calibrated on
the GPL-3 and Apache-2.0 texts as test/e2e/quant_accuracy.py does. Writes
OUT/kv-quant.json and OUT/kv-quant.md.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
from quant_accuracy import LICENSES  # noqa: E402

BIN = os.path.join(HERE, "..", "build", "bin")


def run(*args):
    done = subprocess.run(list(args), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"kv_quant_table: {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout, done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models",
                        default=os.path.join(HERE, "..", "..", "shared",
                                             "models"))
    parser.add_argument("--work", default="/tmp/kv-quant-table")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    onnx = os.path.join(args.models, "fortunes3m.onnx")
    tokenizer = os.path.join(args.models, "fortunes3m.tokenizer.model")
    text = os.path.join(args.models, "fortunes3m.eval.txt")
    calib = os.path.join(args.work, "licenses.txt")
    with open(calib, "w") as out:
        for path in LICENSES:
            with open(path) as f:
                out.write(f.read() + "\n\n")
    weights = {"f32 weights": [],
               "awq-int4 g64 weights": ["--quant", "awq-int4", "--group-size",
                                        "64", "--calib", calib,
                                        "--calib-tokenizer", tokenizer]}
    rows = []
    lines = ["| weights | KV cache | KV bytes per token | perplexity | vs f32 "
             "KV | KL vs f32 KV | top-1 vs f32 KV |",
             "|---|---|---|---|---|---|---|"]
    for label, flags in weights.items():
        reference = None
        for kv in ["f32", "f16", "int8", "fp8"]:
            artifact = os.path.join(
                args.work, f"{label.split()[0]}-{kv}.llmc")
            _, summary = run(os.path.join(BIN, "llmc"), "compile", onnx,
                             "-o", artifact, "--kv-layout", "paged",
                             "--kv-dtype", kv, *flags)
            # "paged: blocks of 16 tokens, 12.8 KiB each, ..."
            block = next(line for line in summary.splitlines()
                         if "KV cache" in line)
            reference = reference or artifact
            scores = json.loads(run(
                os.path.join(BIN, "llmc-run"), artifact, "--json", "eval",
                "--incremental", "--text", text, "--tokenizer", tokenizer,
                "--ref", reference)[0])
            row = {"weights": label, "kv": kv, "block": block.strip(),
                   "perplexity": scores["perplexity"],
                   "kl": scores["mean_kl"],
                   "top1": scores["top1_agreement"],
                   "tokens": scores["tokens_scored"]}
            rows.append(row)
            base = next(r for r in rows if r["weights"] == label
                        and r["kv"] == "f32")["perplexity"]
            per_token = block.split("tokens, ")[1].split(" each")[0]
            lines.append(
                f"| {label} | {kv} | {per_token} / 16 | "
                f"{row['perplexity']:.4f} | "
                f"{100 * (row['perplexity'] / base - 1):+.3f} % | "
                f"{row['kl']:.2e} | {100 * row['top1']:.2f} % |")
            print(lines[-1], flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "kv-quant.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(args.out, "kv-quant.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
