"""llmc-run serve with and without speculative decoding, taking turns.

usage: serve_speculative.py [--target fortunes3m|fortunes3m-wide]
                            [--work /tmp/serve-load] [--duration 20]
                            [--threads 2] [--out bench/results]

fortunes3m (the trained model, context 256; or fortunes3m-wide, its FFN
widened to 16384 by ../shared/tools/widen_ffn.py: 58 M parameters, 222 MiB
of f32 weights that no CPU cache holds) compiled --kv-layout paged with
each draft source: n-gram lookup (ngram:n=2) and the shipped draft
model (fortunes-draft.onnx). For 1, 4 and 16 closed-loop clients (each
sends its next request when its last one ends: the prompts and output
lengths of serve_load.py), the same artifact serves plainly
(--draft-tokens 0) and speculatively (--draft-tokens 2 and 4), one after
the other: output tokens/s, TPOT p50/p99, and the acceptance the server's
/metrics report (vLLM's spec_decode counters, prometheus_client's parser).
Writes OUT/serve-speculative[-wide].json and .md.
"""
import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import BIN  # noqa: E402
from serve_load import (MODELS, Server, closed_loop, cpu_isa,  # noqa: E402
                        prepare, tokenized)

DRAFTS = {"ngram": "ngram:n=2",
          "draft model": os.path.join(MODELS, "fortunes-draft.onnx")}


def spec_counters(url):
    with urllib.request.urlopen(url + "/metrics") as response:
        text = response.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("vllm:spec_decode_num_") and \
                    "per_pos" not in sample.name:
                out[sample.name] = sample.value
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="fortunes3m",
                        choices=["fortunes3m", "fortunes3m-wide"])
    parser.add_argument("--work", default="/tmp/serve-load")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    _, context, tokenizer, passages = prepare("fortunes3m", args.work)
    onnx_path = os.path.join(MODELS, "fortunes3m.onnx")
    if args.target == "fortunes3m-wide":
        onnx_path = os.path.join(args.work, "fortunes3m-wide.onnx")
        if not os.path.exists(onnx_path):
            subprocess.run([sys.executable, os.path.join(
                MODELS, "..", "tools", "widen_ffn.py"),
                os.path.join(MODELS, "fortunes3m.onnx"), "--ffn", "16384",
                "-o", onnx_path], check=True)
    report = {"target": args.target,
              "machine": f"{platform.machine()}, {cpu_isa()}",
              "threads": args.threads, "duration": args.duration, "runs": []}
    rng = random.Random(5)
    workload = None
    for source, draft in DRAFTS.items():
        artifact = os.path.join(args.work,
                                f"{args.target}-{source[:5]}.llmc")
        subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx_path, "-o",
                        artifact, "--max-seq", str(context), "--max-batch",
                        "16", "--kv-layout", "paged", "--tokenizer",
                        tokenizer, "--draft", draft], check=True,
                       capture_output=True)
        for clients in (1, 4, 16):
            for k in (0, 2, 4):
                with Server(artifact, args.threads, "--draft-tokens",
                            str(k)) as server:
                    if workload is None:
                        ids = asyncio.run(tokenized(server, passages))
                        lengths = [len(i) for i in ids]
                        workload = [(p, min(max(rng.choice(lengths), 16),
                                            128))
                                    for p in ids if len(p) + 128 <= context]
                    row = asyncio.run(closed_loop(server, workload, clients,
                                                  args.duration, 3))
                    spec = spec_counters(server.url) if k else {}
                drafted = spec.get("vllm:spec_decode_num_draft_tokens_total",
                                   0)
                accepted = spec.get(
                    "vllm:spec_decode_num_accepted_tokens_total", 0)
                row.update({"source": source, "clients": clients,
                            "draft_tokens": k, "drafted": drafted,
                            "accepted": accepted})
                report["runs"].append(row)
                print(f"{source}, {clients} clients, k {k}: "
                      f"{row['tok_per_s']:.0f} tok/s, TPOT p50 "
                      f"{row['tpot_p50'] * 1000:.2f} ms"
                      + (f", accepted {accepted:.0f}/{drafted:.0f}"
                         if k else ""), flush=True)
    os.makedirs(args.out, exist_ok=True)
    name = "serve-speculative" + ("-wide" if "wide" in args.target else "")
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(report, f, indent=1)
    lines = [f"# llmc-run serve, speculative decoding ({args.target})\n",
             f"{report['machine']}, --threads {args.threads}, closed-loop "
             f"clients for {args.duration:.0f} s per run; plain (k = 0) and "
             f"speculative runs of one artifact take turns.\n",
             "| draft | clients | k | output tok/s | vs plain | TPOT p50 / "
             "p99 ms | accepted / drafted |", "|---|---|---|---|---|---|---|"]
    plain = {}
    for row in report["runs"]:
        key = (row["source"], row["clients"])
        if row["draft_tokens"] == 0:
            plain[key] = row["tok_per_s"]
        ratio = row["tok_per_s"] / plain[key]
        share = (f"{row['accepted']:.0f} / {row['drafted']:.0f} "
                 f"({row['accepted'] / max(row['drafted'], 1):.2f})"
                 if row["draft_tokens"] else "-")
        lines.append(f"| {row['source']} | {row['clients']} | "
                     f"{row['draft_tokens']} | {row['tok_per_s']:.0f} | "
                     f"{ratio:.2f}x | {row['tpot_p50'] * 1000:.2f} / "
                     f"{row['tpot_p99'] * 1000:.2f} | {share} |")
    with open(os.path.join(args.out, name + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
