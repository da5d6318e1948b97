"""llmc, llama.cpp and onnxruntime on the CPU, on the same weights.

usage: cpu_peers.py FOLDER [--threads 2] [--prefill 128,1024] [--context 128]
                    [--gen 64] [--repeat 3] [--precisions f32,q8_0,q4_0]
                    [--contention N] [--avx2] [--out bench/results]

FOLDER is an export_llama_past.py folder (model.onnx and hf/). For each
precision llmc compiles model.onnx with the matching options
(llama_cpp.MATCHES: f32 / fp32, Q8_0 / int8 per channel, Q4_0 / rtn-int4
group 32) and llama.cpp gets hf/ converted and
quantized by its own tools. Then the engines take turns --repeat times
(onnxruntime only in fp32, on model.onnx with its own KV cache):
- prefill: a prompt of each --prefill length (llmc-run bench's TTFT,
  llama-bench -p, onnxruntime's first call);
- decode: --gen steps after --context tokens (llmc-run bench's TPOT,
  llama-bench -n with -d, onnxruntime's cached steps).
Medians go into a table with the ratios; the ISA llmc's kernels chose and
llama.cpp's build are named in its first line. --contention N keeps N busy
processes beside every run. --avx2 builds llama.cpp for AVX2 only (an
AVX-512 machine's llmc is then forced onto AVX2 with LLMC_CPU_ISA=avx2).
Writes OUT/cpu-peers-<model>.json and .md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import llama_cpp  # noqa: E402
from compare import BIN, contention, llmc_bench, onnxruntime_run, \
    ort_session  # noqa: E402


def cpu_isa():
    flags = open("/proc/cpuinfo").read()
    return "AVX-512" if " avx512f" in flags else "AVX2"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prefill", default="128,1024")
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--precisions", default="f32,q8_0,q4_0")
    parser.add_argument("--contention", type=int, default=0, metavar="N")
    parser.add_argument("--avx2", action="store_true")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    prefills = [int(p) for p in args.prefill.split(",")]
    precisions = args.precisions.split(",")
    name = os.path.basename(os.path.normpath(args.folder))
    if args.avx2:
        os.environ["LLMC_CPU_ISA"] = "avx2"
    path = os.path.join(args.folder, "model.onnx")
    session = ort_session(path, args.threads)
    vocab = session.get_outputs()[0].shape[-1]
    onnxruntime_run(session, [5] * 8, 2)  # warm-up
    rng = np.random.default_rng(0)
    prompts = {n: rng.integers(3, vocab, n).tolist()
               for n in set(prefills + [args.context])}
    results = []
    with tempfile.TemporaryDirectory() as work:
        for precision in precisions:
            model = llama_cpp.gguf(args.folder, precision, args.avx2)
            artifact = os.path.join(work, f"{precision}.llmc")
            subprocess.run([os.path.join(BIN, "llmc"), "compile", path, "-o",
                            artifact, "--max-seq",
                            str(max(prefills + [args.context + args.gen]) + 1)]
                           + llama_cpp.MATCHES[precision], check=True,
                           capture_output=True)
            runs = {"llmc": {}, "llama.cpp": {}, "onnxruntime": {}}
            for _ in range(args.repeat):
                for length in prefills:
                    key = f"prefill {length}"
                    with contention(args.contention):
                        ttft = llmc_bench(artifact, args.threads, length, 1)[0]
                    runs["llmc"].setdefault(key, []).append(length / ttft * 1e3)
                    with contention(args.contention):
                        runs["llama.cpp"].setdefault(key, []).append(
                            llama_cpp.bench(model, args.threads, prompt=length,
                                            avx2=args.avx2))
                    if precision == "f32":
                        with contention(args.contention):
                            ttft = onnxruntime_run(session, prompts[length], 1)[0]
                        runs["onnxruntime"].setdefault(key, []).append(
                            length / ttft * 1e3)
                key = f"decode at {args.context}"
                with contention(args.contention):
                    tpot = llmc_bench(artifact, args.threads, args.context,
                                      args.gen)[1]
                runs["llmc"].setdefault(key, []).append(1e3 / tpot)
                with contention(args.contention):
                    runs["llama.cpp"].setdefault(key, []).append(
                        llama_cpp.bench(model, args.threads,
                                        depth=args.context, gen=args.gen,
                                        avx2=args.avx2))
                if precision == "f32":
                    with contention(args.contention):
                        tpot = onnxruntime_run(session, prompts[args.context],
                                               args.gen)[1]
                    runs["onnxruntime"].setdefault(key, []).append(1e3 / tpot)
            results.append({"precision": precision,
                            "llmc_options": llama_cpp.MATCHES[precision],
                            "tokens_per_s": runs})
    isa = "AVX2 (forced)" if args.avx2 else cpu_isa()
    busy = (f", {args.contention} busy processes beside every run"
            if args.contention else "")
    lines = [f"{name}, {args.threads} threads, {isa}{busy}, median of "
             f"{args.repeat} alternating runs (tokens/s); onnxruntime "
             f"{ort.__version__} in fp32 only", "",
             "| llama.cpp / llmc | test | llmc | llama.cpp | onnxruntime | "
             "llmc / llama.cpp | llmc / ort |", "|---|---|---|---|---|---|---|"]
    for r in results:
        runs = r["tokens_per_s"]
        for key, mine in runs["llmc"].items():
            mine = statistics.median(mine)
            peer = statistics.median(runs["llama.cpp"][key])
            theirs = runs["onnxruntime"].get(key)
            theirs = statistics.median(theirs) if theirs else None
            lines.append(
                f"| {r['precision'].upper()} / "
                f"{' '.join(r['llmc_options']) or 'fp32'} "
                f"| {key} | {mine:.1f} | {peer:.1f} | "
                + (f"{theirs:.1f}" if theirs else "") + f" | {mine / peer:.2f}x | "
                + (f"{mine / theirs:.2f}x" if theirs else "") + " |")
    table = "\n".join(lines)
    print(table)
    os.makedirs(args.out, exist_ok=True)
    suffix = "-avx2" if args.avx2 else ""
    suffix += f"-busy{args.contention}" if args.contention else ""
    with open(os.path.join(args.out, f"cpu-peers-{name}{suffix}.json"),
              "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, f"cpu-peers-{name}{suffix}.md"),
              "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
