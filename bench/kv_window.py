"""Eviction for unbounded generation (llmc compile --kv-window): the
long-generation figures of docs/kv-cache.md, on fortunes3m (context 256).

usage: python3 bench/kv_window.py [--models ../shared/models]
           [--work /tmp/kv-window] [--out bench/results] [--tokens 10000]

1. Perplexity of fortunes3m.eval.txt as one stream (every passage cut to
   max_seq, as the per-passage golden does, its first token unscored: the
   same 20,096 targets), token by token through a cache of 132 tokens:
   window 128 + 4 sinks, window 132 without sinks, and h2o (--kv-evict
   h2o: per layer and kv head the latest 64 and the 68 others that
   received the most attention). Two streams: each
   passage starting with BOS (the golden's method), and one BOS for the
   whole stream (so the window rarely holds a BOS: where sinks should
   matter). Beside them: the per-passage figure, and the same 132-token
   budget recomputed for every token by onnxruntime on the same ONNX file
   (the 4 first tokens and the last 128 as a fresh sequence: what the
   evicting cache approximates without recomputing).
2. Decode speed over --tokens generated tokens (llmc-run generate
   --timeline), window + sinks and h2o: tokens/s per 500 tokens, and a
   plot; and the time per
   token of the cache against onnxruntime recomputing the 132-token
   window for each token.

Writes OUT/kv-window.json, OUT/kv-window.md and OUT/kv-window.png.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "..", "build", "bin")
SINKS, WINDOW, MAX_SEQ = 4, 128, 256
H2O = (f"h2o: latest {WINDOW // 2} + {WINDOW // 2 + SINKS} most attended, "
       "per layer and head")


def run(*args):
    done = subprocess.run(list(args), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"kv_window: {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def llmc_run(artifact, *args):
    return json.loads(run(os.path.join(BIN, "llmc-run"), artifact, "--json",
                          *args))


def passages(text):
    return [p for p in text.split("\n\n") if p.strip()]


def recomputed(onnx, stream, unscored, threads):
    """Mean NLL of every scored target, each predicted by onnxruntime from
    the stream's first SINKS tokens and the WINDOW before it (or all of
    them while fewer), as one fresh sequence; and ms per single call."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(onnx, options,
                                   providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    contexts = []
    for t in range(len(stream) - 1):
        if unscored[t + 1]:
            continue
        if t + 1 <= SINKS + WINDOW:
            contexts.append((stream[:t + 1], stream[t + 1]))
        else:
            contexts.append((stream[:SINKS] + stream[t + 1 - WINDOW:t + 1],
                             stream[t + 1]))
    nll = 0.0
    # Contexts of one length go together (all but the first few hundred
    # are SINKS + WINDOW long).
    by_length = {}
    for context, target in contexts:
        by_length.setdefault(len(context), []).append((context, target))
    for length, group in by_length.items():
        for i in range(0, len(group), 64):
            chunk = group[i:i + 64]
            ids = np.array([c for c, _ in chunk], dtype=np.int64)
            logits = session.run(None, {name: ids})[0][:, -1, :]
            logits = logits - logits.max(axis=1, keepdims=True)
            logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            nll -= float(sum(logp[j, t] for j, (_, t) in enumerate(chunk)))
    one = np.array([stream[:SINKS + WINDOW]], dtype=np.int64)
    times = []
    for _ in range(60):
        start = time.perf_counter()
        session.run(None, {name: one})
        times.append((time.perf_counter() - start) * 1000)
    return nll / len(contexts), len(contexts), statistics.median(times[10:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models",
                        default=os.path.join(HERE, "..", "..", "shared",
                                             "models"))
    parser.add_argument("--work", default="/tmp/kv-window")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--tokens", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    onnx = os.path.join(args.models, "fortunes3m.onnx")
    tokenizer = os.path.join(args.models, "fortunes3m.tokenizer.model")
    text = os.path.join(args.models, "fortunes3m.eval.txt")
    llmc = os.path.join(BIN, "llmc")
    artifacts = {}
    for label, flags in (("paged, no eviction", []),
                         (f"window {WINDOW} + {SINKS} sinks",
                          ["--kv-window", str(WINDOW), "--kv-sinks",
                           str(SINKS)]),
                         (f"window {WINDOW + SINKS}, no sinks",
                          ["--kv-window", str(WINDOW + SINKS), "--kv-sinks",
                           "0"]),
                         (H2O, ["--kv-window", str(WINDOW), "--kv-sinks",
                                str(SINKS), "--kv-evict", "h2o"])):
        path = os.path.join(args.work, f"fortunes3m-{len(artifacts)}.llmc")
        run(llmc, "compile", onnx, "-o", path, "--kv-layout", "paged", *flags)
        artifacts[label] = path
    threads = ["--threads", str(args.threads)]

    # The two streams, as token ids: each passage BOS + text + EOS (cut to
    # max_seq), and the same with one BOS for the whole stream.
    import sentencepiece
    sp = sentencepiece.SentencePieceProcessor(model_file=tokenizer)
    with open(text) as f:
        pieces = [([1] + sp.encode(p) + [2])[:MAX_SEQ]
                  for p in passages(f.read())]
    one_bos = [pieces[0]] + [p[1:] for p in pieces[1:]]
    one_bos_file = os.path.join(args.work, "one-bos.ids")
    with open(one_bos_file, "w") as f:
        for p in one_bos:
            f.write(" ".join(map(str, p)) + "\n")

    result = {"machine": platform.processor() or platform.machine(),
              "threads": args.threads, "sinks": SINKS, "window": WINDOW}
    per_passage = llmc_run(artifacts["paged, no eviction"], *threads, "eval",
                           "--text", text, "--tokenizer", tokenizer,
                           "--incremental")
    result["per_passage"] = per_passage["perplexity"]
    rows = []
    for stream_label, source in (
            ("BOS before every passage",
             ["--text", text, "--tokenizer", tokenizer]),
            ("one BOS for the stream", ["--ids", one_bos_file])):
        for label in list(artifacts)[1:]:
            out = llmc_run(artifacts[label], *threads, "eval", *source,
                           "--incremental", "--stream")
            rows.append({"stream": stream_label, "cache": label,
                         "tokens": out["tokens_scored"],
                         "perplexity": out["perplexity"]})
            print(rows[-1], flush=True)
        joined, unscored = [], []
        for p in (pieces if stream_label.startswith("BOS") else one_bos):
            unscored += [bool(joined)] + [False] * (len(p) - 1)
            joined += p
        nll, count, ort_ms = recomputed(onnx, joined, unscored, args.threads)
        rows.append({"stream": stream_label,
                     "cache": f"recomputed by onnxruntime ({SINKS} first + "
                              f"last {WINDOW} tokens)",
                     "tokens": count, "perplexity": float(np.exp(nll))})
        result["ort_recompute_ms"] = ort_ms
        print(rows[-1], flush=True)
    result["perplexity"] = rows

    # Speed over a long generation, each policy.
    segment = 500
    speed = {}
    for label in (f"window {WINDOW} + {SINKS} sinks", H2O):
        gen = llmc_run(artifacts[label], *threads, "generate", "--prompt-ids",
                       "1", "--max-tokens", str(args.tokens), "--ignore-eos",
                       "--timeline")
        stamps = gen["token_ms"]
        speed[label] = {
            "generated": len(stamps),
            "segment_tokens_per_s": [
                segment * 1000.0 / (stamps[i + segment] - stamps[i])
                for i in range(0, len(stamps) - segment, segment)],
            "tpot_ms": gen["tpot_ms"], "kv_cache": gen["kv_cache"]}
    result["speed"] = speed
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.5))
    top = 0
    for label, s in speed.items():
        speeds = s["segment_tokens_per_s"]
        ax.plot([(i + 1) * segment for i in range(len(speeds))], speeds,
                marker="o", label=label.split(":")[0])
        top = max(top, max(speeds))
    ax.axvline(MAX_SEQ, color="grey", linestyle=":")
    ax.text(MAX_SEQ, top * 0.05, " max_seq 256", color="grey")
    ax.set_xlabel("tokens generated")
    ax.set_ylabel(f"tokens/s (each {segment})")
    ax.set_ylim(0, top * 1.15)
    ax.legend(loc="lower right")
    ax.set_title(f"fortunes3m, {WINDOW + SINKS}-token cache, "
                 f"{args.threads} threads")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "kv-window.png"), dpi=100)

    with open(os.path.join(args.out, "kv-window.json"), "w") as f:
        json.dump(result, f, indent=1)
    lines = [f"fortunes3m, {args.threads} threads, {result['machine']}; "
             f"per-passage perplexity (context up to 256, no eviction): "
             f"{result['per_passage']:.4f}", "",
             "| stream | KV cache (132 tokens) | tokens scored | perplexity "
             "| vs per-passage |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['stream']} | {row['cache']} | {row['tokens']} | "
                     f"{row['perplexity']:.4f} | "
                     f"{100 * (row['perplexity'] / result['per_passage'] - 1):+.1f} % |")
    lines += ["", "| generating from BOS | tokens | tokens/s per 500: min "
              "| median | max | last / first | evicted (evictions) | blocks "
              "held at most | ms per token |", "|---|---|---|---|---|---|---|"
              "---|---|"]
    for label, s in speed.items():
        speeds, kv = s["segment_tokens_per_s"], s["kv_cache"]
        lines.append(
            f"| {label} | {s['generated']} | {min(speeds):.0f} | "
            f"{statistics.median(speeds):.0f} | {max(speeds):.0f} | "
            f"{speeds[-1] / speeds[0]:.2f} | {kv['evicted_tokens']} "
            f"({kv['window_evictions']}) | {kv['peak_held_blocks']} | "
            f"{s['tpot_ms']:.3f} |")
    window_ms = speed[f"window {WINDOW} + {SINKS} sinks"]["tpot_ms"]
    lines += ["", f"onnxruntime recomputing the 132-token window: "
              f"{result['ort_recompute_ms']:.2f} ms per token "
              f"({result['ort_recompute_ms'] / window_ms:.1f}x the window "
              f"cache's)."]
    with open(os.path.join(args.out, "kv-window.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
