"""The quantization table of docs/quantization.md: accuracy and speed.

usage: python3 bench/quant_table.py [--models ../shared/models]
           [--work /tmp/quant-table] [--out bench/results/quantization]

Runs the accuracy measurements of test/e2e/quant_accuracy.py (the same
variants, calibration and evaluation data, and order checks), then each
artifact's decode speed with `llmc-run ... bench` (128-token prompt, 64
decode steps, median of 5), and writes quantization.json and
quantization.md (a table per model: artifact size, perplexity, KL vs fp32
and top-1 agreement (sequences in one call, and token by token through
decode steps, as generation runs), mean per-layer output error, decode
tokens/s).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
import quant_accuracy  # noqa: E402


def decode_speed(artifact, work):
    path = os.path.join(work, "bench.json")
    subprocess.run(["llmc-run", artifact, "bench", "--prompt-len", "128",
                    "--gen", "64", "--repeat", "5", "--json", path],
                   check=True, capture_output=True)
    with open(path) as f:
        return json.load(f)["runs"][0]["decode_tokens_per_s"]


def decode_path_agreement(model, result, reference):
    """KL and top-1 agreement with every token through its own decode step
    (the kernels generation runs: int8 activations on VNNI CPUs)."""
    if result["artifact"] == reference:
        return 0.0, 1.0
    scores = json.loads(subprocess.run(
        ["llmc-run", result["artifact"], "--json", "eval", *model.eval_args,
         "--ref", reference, "--incremental"], check=True,
        capture_output=True, text=True).stdout)
    return scores["mean_kl"], scores["top1_agreement"]


def table(results, model):
    rows = [r for r in results if r["model"] == model]
    lines = [f"### {model}", "",
             "| variant | artifact | perplexity | vs fp32 | KL vs fp32 | "
             "top-1 agreement | KL, decode steps | top-1, decode steps | "
             "layer error | decode tok/s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    fp32 = rows[0]["perplexity"]
    for r in rows:
        error = f"{r['layer_error']:.5f}" if "layer_error" in r else ""
        lines.append(
            f"| {r['variant']} | {r['bytes'] / 2**20:.2f} MiB | "
            f"{r['perplexity']:.3f} | {100 * (r['perplexity'] / fp32 - 1):+.2f} % "
            f"| {r['kl']:.4f} | {100 * r['top1']:.2f} % | "
            f"{r['kl_decode']:.4f} | {100 * r['top1_decode']:.2f} % | "
            f"{error} | {r['decode']:.0f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=os.path.join(HERE, "..", "..",
                                                         "shared", "models"))
    parser.add_argument("--work", default="/tmp/quant-table")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = []
    for model in quant_accuracy.models(args.models, args.work):
        measured = quant_accuracy.measure(model, args.work)
        for r in measured:
            r["decode"] = decode_speed(r["artifact"], args.work)
            r["kl_decode"], r["top1_decode"] = decode_path_agreement(
                model, r, measured[0]["artifact"])
            print(quant_accuracy.describe(r) + f", {r['decode']:.0f} tok/s",
                  flush=True)
            results.append(r)
    quant_accuracy.check_order(results, args.models)
    with open(os.path.join(args.out, "quantization.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "quantization.md"), "w") as f:
        for model in ["fortunes3m", "stories260K"]:
            f.write(table(results, model) + "\n")
    print(open(os.path.join(args.out, "quantization.md")).read())


if __name__ == "__main__":
    main()
