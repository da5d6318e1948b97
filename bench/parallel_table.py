"""Tensor and pipeline parallelism on this machine's cores: llama-1b (fp32,
random weights) decoding on 2 MPI ranks of 1 thread each (llmc compile --tp
2, and --pp 2 at batch 2 and 4, and at batch 1 with its prompt in chunks
through the stages) against 1 rank of 2 threads at the same batch, on the
same cores, taking turns.

usage: parallel_table.py [--work /tmp/parallel] [--turns 3] [--gen 32]
                         [--prompt-len 16] [--out bench/results]

Makes llama-1b.onnx (../shared/tools/make_llama_onnx.py --preset llama-1b)
in WORK, compiles it for 1 rank, TP2 and PP2 (each for 4 sequences a call),
then per turn runs `llmc-run bench --profile` on each (the order
alternating), and llmc-membw (2 threads) before each turn. Reported: decode
tokens/s (batch / median TPOT of the turn's repeats; the table gives the
median over turns) of each, each parallel run over 1 rank at its batch
(per turn, geometric mean), the time per step spent in all_reduce,
all_gather and, for the pipeline, send + recv (which includes waiting for
the other stage) (rank 0's kernel profile over the measured runs, per
decode step: prefill's calls are a few of them), and the share of the DRAM bound
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


def bench(command, batch, args, path):
    subprocess.run(command + ["bench", "--batch", str(batch),
                              "--prompt-len", str(args.prompt_len),
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
                 for name in ("all_reduce", "all_gather", "send", "recv")
                 if name in profile}
    return {"tpot_ms": run["tpot_ms"][0], "ttft_ms": run["ttft_ms"][0],
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
    tp2 = os.path.join(args.work, "llama-1b-tp2.llmc")
    pp2 = os.path.join(args.work, "llama-1b-pp2.llmc")
    for path, flags in ((one, []), (tp2, ["--tp", "2"]), (pp2, ["--pp", "2"])):
        if not os.path.exists(path):
            subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx, "-o",
                            path, "--max-batch", "4", *flags], check=True,
                           capture_output=True)
    run = os.path.join(BIN, "llmc-run")
    single = [run, one, "--threads", "2"]
    # name: (command, batch, the 1-rank run it is compared with)
    modes = {"1 rank x 2 threads": (single, 1, None),
             "TP2: 2 ranks x 1 thread": ([*MPIRUN, "-np", "2", run, tp2,
                                          "--threads", "1"], 1,
                                         "1 rank x 2 threads"),
             "PP2: 2 ranks x 1 thread": ([*MPIRUN, "-np", "2", run, pp2,
                                          "--threads", "1"], 1,
                                         "1 rank x 2 threads")}
    for batch in (2, 4):
        base = f"1 rank x 2 threads, batch {batch}"
        modes[base] = (single, batch, None)
        modes[f"PP2: 2 ranks x 1 thread, batch {batch}"] = (
            [*MPIRUN, "-np", "2", run, pp2, "--threads", "1"], batch, base)
    turns = []
    for turn in range(args.turns):
        row = {"bandwidth": bandwidth(2)}
        order = list(modes) if turn % 2 == 0 else list(reversed(modes))
        for name in order:
            command, batch, _ = modes[name]
            row[name] = bench(command, batch, args,
                              os.path.join(args.work, "bench.json"))
        turns.append(row)
        print(json.dumps(row), flush=True)

    def median(values):
        values = sorted(values)
        return values[len(values) // 2]

    peak = median([t["bandwidth"] for t in turns])
    names = list(modes)
    lines = [f"Tensor and pipeline parallelism, {platform.machine()}, "
             f"{isa()}: llama-1b "
             f"(fp32, random weights), prompt {args.prompt_len}, "
             f"{args.gen} tokens, {args.repeat} repeats a turn, "
             f"{args.turns} turns taking turns (bench/parallel_table.py); "
             f"DRAM read bandwidth {peak / 1e9:.1f} GB/s (llmc-membw, 2 "
             "threads, median over turns).", "",
             "| run | decode tok/s | TPOT ms | TTFT ms | all_reduce ms/step | "
             "all_gather ms/step | send + recv ms/step | weight GB read/step "
             "| % of DRAM bound |",
             "|---|---|---|---|---|---|---|---|---|"]
    summary = {"bandwidth_bytes_per_s": peak, "turns": turns, "rows": {},
               "over_one_rank": {}}
    # What a decode step reads: the weights but the embedding table, whose
    # one row per token is gathered. The ranks read their halves of it
    # from the same DRAM: one bound for both runs.
    _, read = bytes_read_per_token(onnx)
    bound_ms = read / peak * 1000
    notes = []
    for name in names:
        _, batch, base = modes[name]
        tpot = median([t[name]["tpot_ms"] for t in turns])
        ttft = median([t[name]["ttft_ms"] for t in turns])

        def comm(kernels):
            return median([sum(t[name]["communication_ms_per_token"].get(k, 0.0)
                               for k in kernels) for t in turns])
        reduce, gather = comm(["all_reduce"]), comm(["all_gather"])
        pipe = comm(["send", "recv"])
        # A pipeline of 2 micro-batches reads each stage's weights twice a
        # step: the weights once per micro-batch.
        parts = min(2, batch) if name.startswith("PP2") else 1
        total = read * parts
        share = total / peak * 1000 / tpot
        summary["rows"][name] = {"batch": batch, "tpot_ms": tpot,
                                 "ttft_ms": ttft,
                                 "all_reduce_ms": reduce,
                                 "all_gather_ms": gather,
                                 "send_recv_ms": pipe,
                                 "weight_bytes_per_step": total,
                                 "dram_bound_share": share}
        lines.append(f"| {name} | {batch * 1000 / tpot:.2f} | {tpot:.1f} | "
                     f"{ttft:.0f} | "
                     f"{reduce:.2f} | {gather:.2f} | {pipe:.2f} | "
                     f"{total / 1e9:.2f} | {100 * share:.0f} % |")
        if base:
            ratios = [t[base]["tpot_ms"] / t[name]["tpot_ms"] for t in turns]
            speedup = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
            summary["over_one_rank"][name] = speedup
            notes.append(f"{name} over {base}: {speedup:.3f}x "
                         "(geometric mean of the "
                         "turns' TPOT ratios: " +
                         ", ".join(f"{r:.3f}" for r in ratios) + ")")
    lines += [""] + [n + "." for n in notes] + [
        "", "The DRAM bound: the weight bytes a decode step reads (all but "
        "the embedding table; a pipeline of 2 micro-batches reads each "
        "stage's weights once per micro-batch) over the measured bandwidth."]
    os.makedirs(args.out, exist_ok=True)
    json.dump(summary, open(os.path.join(args.out, "parallel.json"), "w"),
              indent=1)
    open(os.path.join(args.out, "parallel.md"), "w").write(
        "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
