"""Tensor parallelism on this machine's cores: llama-1b (fp32, random
weights) decoding on 2 MPI ranks of 1 thread each (llmc compile --tp 2)
against 1 rank of 2 threads, on the same cores, taking turns.

usage: parallel_table.py [--work /tmp/parallel] [--turns 3] [--gen 32]
                         [--prompt-len 16] [--out bench/results]

Makes llama-1b.onnx (../shared/tools/make_llama_onnx.py --preset llama-1b)
in WORK, compiles it for 1 and 2 ranks, then per turn runs `llmc-run bench
--profile` on each (the order alternating), and llmc-membw (2 threads)
before each turn. Reported: decode tokens/s (median TPOT of the turn's
repeats; the table gives the median over turns) of each, TP2 over 1 rank
(per turn, geometric mean), the time per token spent in all_reduce and
all_gather (rank 0's kernel profile over the measured runs, per entry
call: prefill's calls are a few of them), and the share of the DRAM bound
each reaches: the weight bytes a decode step reads (all but the embedding
table; the ranks read their halves from the same DRAM) over the measured
bandwidth, against the measured TPOT. Writes OUT/parallel.json
and .md.
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import BIN, bandwidth, bytes_read_per_token  # noqa: E402
from speculative_table import isa  # noqa: E402

TOOLS = os.path.join(HERE, "..", "..", "shared", "tools")
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]


def bench(command, args, path):
    subprocess.run(command + ["bench", "--prompt-len", str(args.prompt_len),
                              "--gen", str(args.gen), "--repeat",
                              str(args.repeat), "--profile", "--json", path],
                   check=True, capture_output=True, text=True)
    out = json.load(open(path))
    run = out["runs"][0]
    profile = out["profile"]
    # Entry calls over the measured runs: one prefill and gen - 1 decode
    # steps each; every call runs each communication kernel the same
    # number of times.
    calls = args.repeat * args.gen
    per_token = {name: profile[name]["seconds"] / calls * 1000
                 for name in ("all_reduce", "all_gather") if name in profile}
    return {"tpot_ms": run["tpot_ms"][0],
            "decode_tokens_per_s": run["decode_tokens_per_s"],
            "weight_bytes": out["weight_bytes"],
            "communication_ms_per_token": per_token}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/parallel")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gen", type=int, default=32)
    parser.add_argument("--prompt-len", type=int, default=16)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    onnx = os.path.join(args.work, "llama-1b.onnx")
    if not os.path.exists(onnx):
        subprocess.run([sys.executable, os.path.join(TOOLS,
                        "make_llama_onnx.py"), "--preset", "llama-1b", "-o",
                        onnx], check=True, capture_output=True)
    one = os.path.join(args.work, "llama-1b.llmc")
    two = os.path.join(args.work, "llama-1b-tp2.llmc")
    for path, flags in ((one, []), (two, ["--tp", "2"])):
        if not os.path.exists(path):
            subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx, "-o",
                            path, *flags], check=True, capture_output=True)
    run = os.path.join(BIN, "llmc-run")
    modes = {"1 rank x 2 threads": [run, one, "--threads", "2"],
             "TP2: 2 ranks x 1 thread": [*MPIRUN, "-np", "2", run, two,
                                         "--threads", "1"]}
    turns = []
    for turn in range(args.turns):
        row = {"bandwidth": bandwidth(2)}
        order = list(modes) if turn % 2 == 0 else list(reversed(modes))
        for name in order:
            row[name] = bench(modes[name], args,
                              os.path.join(args.work, "bench.json"))
        turns.append(row)
        print(json.dumps(row), flush=True)

    def median(values):
        values = sorted(values)
        return values[len(values) // 2]

    peak = median([t["bandwidth"] for t in turns])
    names = list(modes)
    ratios = [t[names[0]]["tpot_ms"] / t[names[1]]["tpot_ms"] for t in turns]
    speedup = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    lines = [f"Tensor parallelism, {platform.machine()}, {isa()}: llama-1b "
             f"(fp32, random weights), prompt {args.prompt_len}, "
             f"{args.gen} tokens, {args.repeat} repeats a turn, "
             f"{args.turns} turns taking turns (bench/parallel_table.py); "
             f"DRAM read bandwidth {peak / 1e9:.1f} GB/s (llmc-membw, 2 "
             "threads, median over turns).", "",
             "| run | decode tok/s | TPOT ms | all_reduce ms/token | "
             "all_gather ms/token | weight GB read/token | % of DRAM bound |",
             "|---|---|---|---|---|---|---|"]
    summary = {"bandwidth_bytes_per_s": peak, "turns": turns,
               "tp2_over_one_rank": speedup, "rows": {}}
    # What a decode step reads: the weights but the embedding table, whose
    # one row per token is gathered. The ranks read their halves of it
    # from the same DRAM: one bound for both runs.
    _, read = bytes_read_per_token(onnx)
    bound_ms = read / peak * 1000
    for name in names:
        tpot = median([t[name]["tpot_ms"] for t in turns])
        total = read
        reduce = median([t[name]["communication_ms_per_token"].get(
            "all_reduce", 0.0) for t in turns])
        gather = median([t[name]["communication_ms_per_token"].get(
            "all_gather", 0.0) for t in turns])
        summary["rows"][name] = {"tpot_ms": tpot, "all_reduce_ms": reduce,
                                 "all_gather_ms": gather,
                                 "weight_bytes_per_token": read,
                                 "dram_bound_share": bound_ms / tpot}
        lines.append(f"| {name} | {1000 / tpot:.2f} | {tpot:.1f} | "
                     f"{reduce:.2f} | {gather:.2f} | {total / 1e9:.2f} | "
                     f"{100 * bound_ms / tpot:.0f} % |")
    lines += ["", f"TP2 over 1 rank: {speedup:.3f}x (geometric mean of the "
              "turns' TPOT ratios: " + ", ".join(f"{r:.3f}" for r in ratios)
              + "). The DRAM bound: the weight bytes a decode step reads "
              "(all but the embedding table) over the measured bandwidth."]
    os.makedirs(args.out, exist_ok=True)
    json.dump(summary, open(os.path.join(args.out, "parallel.json"), "w"),
              indent=1)
    open(os.path.join(args.out, "parallel.md"), "w").write(
        "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
