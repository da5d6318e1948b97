"""The paged KV cache measured: memory held against tokens, prefix caching's
time to first token, and decode speed against the contiguous cache.

usage: kv_paged.py [--work /tmp/kv-paged] [--threads 2] [--repeat 3]
                   [--out bench/results]

1. Memory. A mixed batch of 64 sequences whose lengths are drawn from
   16..1024 (seeded), held at once: llmc-run generate over the paged
   cache (blocks of 8, 16 and 32 tokens) reports the most blocks it held
   and the tokens in them; a contiguous cache reserves max_seq (1024)
   positions for each. Waste = the reserved slots that hold no token. On
   a small random model (dim 64, 2 layers, 4 heads: the bookkeeping, not
   the arithmetic, is measured), compiled with --max-seq 1024.
2. Prefix caching. llmc-run bench --shared-prefix 200 on llama-110m: 8
   requests of 216 tokens sharing their first 200, one after another on
   one session, against each on a fresh session (nothing cached); time to
   first token and the prefix blocks found.
3. Speed. Decode tokens/s at 128 and 960..1024 tokens of context on
   llama-110m: contiguous and paged (blocks of 16) f32 caches, and a
   paged int8 one, with f32 weights and with rtn-int4 ones (where the
   cache is about half the bytes a step reads at 1024 tokens), taking
   turns --repeat times, each run after an llmc-membw reading; every
   decode step timed (generate --timeline), the figure the 10th
   percentile of the steps (steal time on a VM only slows steps down),
   the median beside it; the bound of a step is the median
   bandwidth over the bytes it reads (the weights but the embedding, and
   the KV cache of the mean context).

Random weights throughout (../shared/tools/make_llama_onnx.py): speed and
memory, not quality. Writes OUT/kv-paged.json and OUT/kv-paged.md.
"""
import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import BIN, bandwidth, bytes_read_per_token  # noqa: E402

MAKE = os.path.join(HERE, "..", "..", "shared", "tools", "make_llama_onnx.py")
MAX_SEQ = 1024
CONTEXTS = [(128, 64), (960, 64)]  # (prompt, decode steps)


def export(path, *flags):
    if not os.path.exists(path):
        subprocess.run(["/usr/bin/python3", MAKE, *flags, "-o", path],
                       check=True, capture_output=True)


def compile_once(onnx_path, artifact, *flags):
    stamp = artifact + ".flags"
    if os.path.exists(artifact) and os.path.exists(stamp) and \
            open(stamp).read() == " ".join(flags):
        return
    done = subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx_path,
                           "-o", artifact, *flags], capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"kv_paged: compiling {artifact} failed:\n{done.stderr}")
    with open(stamp, "w") as f:
        f.write(" ".join(flags))


def llmc_run(artifact, threads, *args):
    done = subprocess.run([os.path.join(BIN, "llmc-run"), artifact,
                           "--threads", str(threads), *args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"kv_paged: llmc-run {' '.join(args)} failed:\n"
                 f"{done.stderr}")
    return done.stdout


def memory(args, lines, results):
    onnx_path = os.path.join(args.work, "small.onnx")
    export(onnx_path, "--dim", "64", "--layers", "2", "--heads", "4",
           "--kv-heads", "4", "--ffn", "128", "--vocab", "512", "--max-seq",
           str(MAX_SEQ))
    rng = random.Random(24)
    lengths = [rng.randint(16, 1024) for _ in range(64)]
    prompts = os.path.join(args.work, "mixed.ids")
    with open(prompts, "w") as f:
        for n in lengths:
            f.write(" ".join(str(rng.randrange(3, 512)) for _ in range(n)) +
                    "\n")
    tokens = sum(lengths)
    # Per position: keys and values of every layer, f32.
    per_token = 2 * 2 * 4 * 16 * 4
    reserved = len(lengths) * MAX_SEQ
    lines += ["## Memory: 64 sequences of 16..1024 tokens (seeded), "
              f"{tokens} tokens held at once", "",
              "| layout | slots reserved or held | bytes | empty slots |",
              "|---|---|---|---|",
              f"| contiguous (max_seq {MAX_SEQ} each) | {reserved} | "
              f"{reserved * per_token / 2**20:.1f} MiB | "
              f"{100 * (1 - tokens / reserved):.1f} % |"]
    results["memory"] = {"lengths": lengths, "tokens": tokens,
                         "contiguous_slots": reserved,
                         "contiguous_waste": 1 - tokens / reserved,
                         "paged": {}}
    for block in (8, 16, 32):
        artifact = os.path.join(args.work, f"small-paged{block}.llmc")
        compile_once(onnx_path, artifact, "--max-seq", str(MAX_SEQ),
                     "--max-batch", "64", "--kv-layout", "paged",
                     "--kv-block", str(block))
        out = json.loads(llmc_run(artifact, args.threads, "--json",
                                  "generate", "--prompt-ids-file", prompts,
                                  "--max-tokens", "1", "--ignore-eos"))
        kv = out["kv_cache"]
        if kv["peak_tokens"] != tokens:
            sys.exit(f"kv_paged: the pool held {kv['peak_tokens']} tokens "
                     f"at its peak, not the batch's {tokens}")
        held = kv["peak_held_blocks"] * block
        lines.append(f"| paged, blocks of {block} | {held} | "
                     f"{kv['peak_held_bytes'] / 2**20:.1f} MiB | "
                     f"{100 * kv['peak_waste']:.2f} % |")
        results["memory"]["paged"][block] = kv
    lines.append("")


def prefix(args, model, lines, results):
    artifact = os.path.join(args.work, "llama-110m-paged.llmc")
    path = os.path.join(args.work, "prefix.json")
    out = llmc_run(artifact, args.threads, "bench", "--shared-prefix", "200",
                   "--prompt-len", "216", "--requests", "8", "--repeat",
                   str(args.repeat), "--json", path)
    with open(path) as f:
        data = json.load(f)
    results["prefix"] = data
    lines += ["## Prefix caching: 8 requests of 216 tokens sharing the "
              "first 200 (llama-110m, blocks of 16)", ""]
    lines += [line for line in out.splitlines() if line.startswith("|")]
    lines.append("")


def speed(args, onnx_path, lines, results):
    # (label, artifact, KV bytes per position: 12 layers x keys and values
    # x 12 heads x 64, f32; int8 planes have a 17th row for the scale)
    f32_position = 12 * 2 * 12 * 64 * 4
    int8_position = f32_position / 4 * 17 / 16
    variants = [
        ("f32 weights, contiguous f32 KV", "llama-110m-contiguous.llmc",
         f32_position),
        ("f32 weights, paged f32 KV", "llama-110m-paged.llmc", f32_position),
        ("f32 weights, paged int8 KV", "llama-110m-paged-int8.llmc",
         int8_position),
        ("rtn-int4 weights, paged f32 KV", "llama-110m-int4-paged.llmc",
         f32_position),
        ("rtn-int4 weights, paged int8 KV", "llama-110m-int4-paged-int8.llmc",
         int8_position)]
    total, read = bytes_read_per_token(onnx_path)
    embedding = total - read
    # Each decode step's time (generate --timeline), every run's pooled.
    steps = {label: {prompt: [] for prompt, _ in CONTEXTS}
             for label, _, _ in variants}
    rng = random.Random(1024)
    prompts = {prompt: ",".join(str(rng.randrange(3, 32000))
                                for _ in range(prompt))
               for prompt, _ in CONTEXTS}
    readings = []
    for _ in range(args.repeat):
        for label, name, _ in variants:
            artifact = os.path.join(args.work, name)
            for prompt, gen in CONTEXTS:
                readings.append(bandwidth(args.threads))
                data = json.loads(llmc_run(
                    artifact, args.threads, "--json", "generate",
                    "--prompt-ids", prompts[prompt], "--max-tokens",
                    str(gen), "--ignore-eos", "--timeline"))
                stamps = data["token_ms"]
                steps[label][prompt] += [b - a for a, b in
                                         zip(stamps, stamps[1:])]
    bw = statistics.median(readings)
    lines += ["## Decode speed: llama-110m, batch 1, "
              f"{args.repeat} alternating runs", "",
              "tok/s = 1000 / the 10th percentile of the decode steps' ms "
              "(every step of every run pooled; median beside it): this "
              "VM's steal time only ever slows steps down, by up to 2x in "
              "bursts, so the fast steps are the ones least disturbed.", "",
              f"Bound = {bw / 1e9:.1f} GB/s (median llmc-membw reading) / "
              "(the artifact's bytes but the embedding + the KV cache of "
              "the mean context).", "",
              "| variant | decode tok/s, 128 ctx (median; bound) | decode "
              "tok/s, 960-1024 ctx (median; bound) |", "|---|---|---|"]
    results["speed"] = {"bandwidth": bw, "readings": readings, "rows": {}}
    for label, name, per_position in variants:
        weights = os.path.getsize(os.path.join(args.work, name))
        cells, row = [], {}
        for prompt, gen in CONTEXTS:
            ms = sorted(steps[label][prompt])
            rate = 1000.0 / ms[len(ms) // 10]
            median = 1000.0 / statistics.median(ms)
            bound = bw / (weights - embedding +
                          per_position * (prompt + gen / 2))
            row[prompt] = {"step_ms": ms, "best": rate,
                           "median": median, "bound": bound}
            cells.append(f"{rate:.1f} ({median:.1f}; {bound:.1f}, "
                         f"{100 * rate / bound:.0f} %)")
        results["speed"]["rows"][label] = row
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    rows = results["speed"]["rows"]

    def against(a, b):
        return ", ".join(
            f"{100 * (rows[a][p]['best'] / rows[b][p]['best'] - 1):+.1f} % "
            f"(medians {100 * (rows[a][p]['median'] / rows[b][p]['median'] - 1):+.1f} %)"
            f" at {p} tokens" for p, _ in CONTEXTS)
    lines += ["", "Paged against contiguous (f32 KV): " + against(
        "f32 weights, paged f32 KV", "f32 weights, contiguous f32 KV"),
        "int8 KV against f32 KV (paged), f32 weights: " + against(
            "f32 weights, paged int8 KV", "f32 weights, paged f32 KV"),
        "int8 KV against f32 KV (paged), rtn-int4 weights: " + against(
            "rtn-int4 weights, paged int8 KV",
            "rtn-int4 weights, paged f32 KV"), ""]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/kv-paged")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512 VNNI" if "avx512_vnni" in flags else (
        "AVX-512" if "avx512f" in flags else "AVX2")
    lines = [f"# Paged KV cache ({platform.machine()}, {isa}, "
             f"{args.threads} threads)", ""]
    results = {"threads": args.threads, "isa": isa}
    memory(args, lines, results)
    onnx_path = os.path.join(args.work, "llama-110m.onnx")
    export(onnx_path, "--preset", "llama-110m")
    compile_once(onnx_path, os.path.join(args.work,
                                         "llama-110m-contiguous.llmc"),
                 "--max-seq", str(MAX_SEQ))
    for name, flags in [
            ("llama-110m-paged.llmc", []),
            ("llama-110m-paged-int8.llmc", ["--kv-dtype", "int8"]),
            ("llama-110m-int4-paged.llmc", ["--quant", "rtn-int4"]),
            ("llama-110m-int4-paged-int8.llmc",
             ["--quant", "rtn-int4", "--kv-dtype", "int8"])]:
        compile_once(onnx_path, os.path.join(args.work, name), "--max-seq",
                     str(MAX_SEQ), "--kv-layout", "paged", *flags)
    prefix(args, onnx_path, lines, results)
    speed(args, onnx_path, lines, results)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "kv-paged.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "kv-paged.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
