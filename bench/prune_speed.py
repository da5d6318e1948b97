"""Memory and speed of INT4 + head pruning on llama-110m: fp32, awq-int4,
and awq-int4 with a third of its KV groups pruned, against the DRAM bound.

usage: prune_speed.py [--work /tmp/prune-speed] [--threads 2] [--repeat 5]
                      [--out bench/results]

Exports llama-110m with ../shared/tools/make_llama_onnx.py (random
weights: speed and memory only, no accuracy) unless WORK/model.onnx
exists. Calibrates AWQ and the pruning's norm ranking on 16 sequences of
128 pseudo-random token ids. llama-110m is multi-head attention (12 query
and 12 KV heads per layer), so a KV group is one head: a third of them is
48 of 144. For each variant: the artifact's weight bytes, the KV cache per
sequence of 1024 positions, the peak resident memory of a 960-token run,
decode tokens/s at 128 and at 960..1024 tokens of context, and TTFT of a
512-token prompt; the runs take turns --repeat times, each after a
llmc-membw reading. The bound of a decode step is the median bandwidth
over the bytes it reads: every weight but the token embedding, and the
fp32 KV cache of the context so far. Writes OUT/prune-speed.json and .md.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import BIN, bandwidth, bytes_read_per_token  # noqa: E402

MAX_SEQ = 1024
CONTEXTS = [(128, 64), (960, 64)]  # (prompt, decode steps)


def bench(artifact, threads, prompt, gen):
    path = artifact + ".bench.json"
    subprocess.run([os.path.join(BIN, "llmc-run"), artifact, "--threads",
                    str(threads), "bench", "--prompt-len", str(prompt),
                    "--gen", str(gen), "--repeat", "1", "--json", path],
                   check=True, capture_output=True)
    with open(path) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/prune-speed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    onnx_path = os.path.join(args.work, "model.onnx")
    if not os.path.exists(onnx_path):
        subprocess.run(["/usr/bin/python3", os.path.join(
            HERE, "..", "..", "shared", "tools", "make_llama_onnx.py"),
            "--preset", "llama-110m", "-o", onnx_path], check=True)
    calib = os.path.join(args.work, "calib.ids")
    rng = random.Random(0)
    with open(calib, "w") as f:
        for _ in range(16):
            f.write(" ".join(str(rng.randrange(3, 32000))
                             for _ in range(128)) + "\n")
    awq = ["--quant", "awq-int4", "--group-size", "128", "--calib", calib]
    variants = {
        "fp32": [],
        "awq-int4 g128": awq,
        # 4 of 12 heads from every layer: 512 output-projection inputs, a
        # multiple of the group (a global ranking on random weights takes
        # most of a layer's heads, leaving fewer than a group of 128).
        "awq-int4 g128, 1/3 of KV groups pruned (norm, 4 per layer)":
            awq + ["--prune-heads", "0.333333", "--prune-unit", "group",
                   "--prune-uniform"],
    }
    total, read = bytes_read_per_token(onnx_path)
    embedding = total - read
    artifacts = {}
    for index, (label, flags) in enumerate(variants.items()):
        artifact = os.path.join(args.work, f"variant{index}.llmc")
        artifacts[label] = artifact
        # An artifact compiled with the same flags before is reused (AWQ
        # on llama-110m takes minutes).
        stamp = artifact + ".flags"
        if os.path.exists(artifact) and os.path.exists(stamp) and \
                open(stamp).read() == " ".join(flags):
            continue
        done = subprocess.run([os.path.join(BIN, "llmc"), "compile",
                               onnx_path, "-o", artifact, "--max-seq",
                               str(MAX_SEQ), *flags], capture_output=True,
                              text=True)
        if done.returncode != 0:
            sys.exit(f"prune_speed: compiling {label} failed:\n{done.stderr}")
        with open(stamp, "w") as f:
            f.write(" ".join(flags))
        print(f"compiled {label}", flush=True)
    rows = {label: {"variant": label, "decode": {}, "ttft_ms": []}
            for label in variants}
    readings = []
    for _ in range(args.repeat):
        for label, artifact in artifacts.items():
            row = rows[label]
            for prompt, gen in CONTEXTS:
                readings.append(bandwidth(args.threads))
                data = bench(artifact, args.threads, prompt, gen)
                run = data["runs"][0]
                row["decode"].setdefault(prompt, []).append(
                    run["decode_tokens_per_s"])
                row["weight_bytes"] = data["weight_bytes"]
                row["kv_bytes_per_sequence"] = data[
                    "kv_cache_bytes_per_sequence"]
                row["kv_bytes_per_position"] = (
                    data["kv_cache_bytes_per_sequence"] /
                    data["kv_cache_slots"])
                if prompt == CONTEXTS[-1][0]:
                    row["peak_rss_bytes"] = max(row.get("peak_rss_bytes", 0),
                                                data["peak_rss_bytes"])
            readings.append(bandwidth(args.threads))
            row["ttft_ms"].append(
                bench(artifact, args.threads, 512, 1)["runs"][0]["ttft_ms"][0])
    bw = statistics.median(readings)
    lines = [f"llama-110m (random weights), {args.threads} threads, median of "
             f"{args.repeat} alternating runs; bound = {bw / 1e9:.1f} GB/s "
             f"(median llmc-membw reading) / (weight bytes but the "
             f"embedding + fp32 KV cache of the mean context)", "",
             "| variant | weights | KV cache (1024 positions) | weights + KV "
             "| peak RSS (960 tokens) | decode tok/s, 128 ctx (bound) | "
             "decode tok/s, 960-1024 ctx (bound) | TTFT 512 tokens |",
             "|---|---|---|---|---|---|---|---|"]
    results = []
    for label, row in rows.items():
        weights = os.path.getsize(artifacts[label])
        cells = []
        for prompt, gen in CONTEXTS:
            rate = statistics.median(row["decode"][prompt])
            cache = row["kv_bytes_per_position"] * (prompt + gen / 2)
            bound = bw / (weights - embedding + cache)
            row[f"decode_{prompt}"] = rate
            row[f"bound_{prompt}"] = bound
            cells.append(f"{rate:.1f} ({bound:.1f}, {100 * rate / bound:.0f} %)")
        row["artifact_bytes"] = weights
        row["ttft_512_ms"] = statistics.median(row["ttft_ms"])
        memory = weights + row["kv_bytes_per_sequence"]
        row["weights_plus_kv_bytes"] = memory
        lines.append(
            f"| {label} | {weights / 2**20:.1f} MiB | "
            f"{row['kv_bytes_per_sequence'] / 2**20:.1f} MiB | "
            f"{memory / 2**20:.1f} MiB | {row['peak_rss_bytes'] / 2**20:.1f} "
            f"MiB | {cells[0]} | {cells[1]} | {row['ttft_512_ms']:.0f} ms |")
        results.append(row)
    base, last = results[0], results[-1]
    lines += ["", f"awq-int4 + pruning against fp32: weights + KV "
              f"{100 * (last['weights_plus_kv_bytes'] / base['weights_plus_kv_bytes'] - 1):+.0f} %, "
              f"decode at 128 x{last['decode_128'] / base['decode_128']:.2f}, "
              f"at 960-1024 x{last['decode_960'] / base['decode_960']:.2f}, "
              f"TTFT x{base['ttft_512_ms'] / last['ttft_512_ms']:.2f} faster"]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "prune-speed.json"), "w") as f:
        json.dump({"bandwidth": bw, "readings": readings, "rows": results}, f,
                  indent=1)
    with open(os.path.join(args.out, "prune-speed.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
