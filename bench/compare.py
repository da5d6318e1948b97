"""llmc and onnxruntime, each with a KV cache, on the same ONNX file.

usage: compare.py FOLDER|MODEL.onnx... [--threads 2] [--context 128,512,1024]
                  [--gen 64] [--repeat 3] [--batch 4] [--out bench/results]
                  [--contention N] [--single]

Each FOLDER holds a model.onnx, best with past-KV inputs
(export_llama_past.py); make_llama_onnx.py's files have none, and then
onnxruntime has no cache: its TPOT is one single-token forward, the floor of
what a cached step could cost it (marked "no cache" in the table). For each
context length (the prompt) it measures, with the same threads, llmc and
onnxruntime taking turns --repeat times (the machine's speed drifts; taking
turns exposes both to it alike), and reports medians:
- llmc: `llmc compile` once, then `llmc-run bench --repeat 1 --json` (TTFT
  and TPOT after its own warm-up);
- onnxruntime (CPUExecutionProvider): the prompt with an empty past (TTFT),
  then --gen steps of one token feeding its presents back as the past
  (TPOT), after one warm-up per model;
- llmc's aggregate decode at --batch sequences against batch 1, at the
  shortest context;
- the bound: decode reads every weight once per token but one row of the
  token embedding, so tokens/s <= read bandwidth / those bytes, with the
  best of llmc-membw's readings before and after each model.
--contention N starts N busy processes (bounded in time) beside every
engine run, as a user's other programs are; --threads 0 leaves each engine
its default thread count, and --single also runs llmc with one thread.
Writes OUT/<model>.json and OUT/summary.md (and OUT/decode.png when
matplotlib is installed) and prints the table.
"""
import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "..", "build", "bin")


def bytes_read_per_token(path):
    """(all weight bytes, bytes one decode step reads)."""
    model = onnx.load(path, load_external_data=False)
    gathered, other = set(), set()
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            (gathered if node.op_type == "Gather" and index == 0
             else other).add(name)
    total = read = 0
    for tensor in model.graph.initializer:
        size = int(np.prod(tensor.dims)) * np.dtype(
            onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize
        total += size
        if not (tensor.name in gathered and tensor.name not in other):
            read += size
    return total, read


def bandwidth(threads):
    out = subprocess.run([os.path.join(BIN, "llmc-membw"), "--threads",
                          str(threads)], check=True, capture_output=True,
                         text=True).stdout
    return float(re.search(r"([0-9.]+) GB/s", out).group(1)) * 1e9


def ort_session(path, threads):
    """onnxruntime's CPU session with `threads` (0: its default)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options,
                                providers=["CPUExecutionProvider"])


def onnxruntime_run(session, prompt, gen):
    """(TTFT ms, TPOT ms) of one greedy generation with onnxruntime's cache
    (without past-KV inputs: the prompt, then single-token forwards)."""
    inputs = {i.name: i for i in session.get_inputs()}
    pasts = [n for n in inputs if n.startswith("past_key_values")]
    if not pasts:
        def forward(tokens):
            start = time.perf_counter()
            session.run(None, {"input_ids": np.array([tokens], np.int64)})
            return (time.perf_counter() - start) * 1000
        return forward(prompt), statistics.median(
            forward(prompt[:1]) for _ in range(gen))
    kv_heads, head_dim = inputs[pasts[0]].shape[1], inputs[pasts[0]].shape[3]
    feeds = {"input_ids": np.array([prompt], dtype=np.int64),
             "attention_mask": np.ones((1, len(prompt)), dtype=np.int64)}
    if "position_ids" in inputs:
        feeds["position_ids"] = np.arange(len(prompt), dtype=np.int64)[None]
    for name in pasts:
        feeds[name] = np.zeros((1, kv_heads, 0, head_dim), dtype=np.float32)
    outputs = [o.name for o in session.get_outputs()]
    start = time.perf_counter()
    result = session.run(outputs, feeds)
    token = int(np.argmax(result[0][0, -1]))
    ttft = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    length = len(prompt)
    for _ in range(gen):
        feeds = {"input_ids": np.array([[token]], dtype=np.int64),
                 "attention_mask": np.ones((1, length + 1), dtype=np.int64)}
        if "position_ids" in inputs:
            feeds["position_ids"] = np.array([[length]], dtype=np.int64)
        for name, value in zip(outputs[1:], result[1:]):
            feeds[name.replace("present", "past_key_values")] = value
        result = session.run(outputs, feeds)
        token = int(np.argmax(result[0][0, -1]))
        length += 1
    return ttft, (time.perf_counter() - start) * 1000 / gen


@contextlib.contextmanager
def contention(processes, seconds=900):
    """`processes` busy loops beside whatever runs inside; each also stops
    by itself after `seconds`, so none outlives a failed benchmark."""
    loop = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    busy = [subprocess.Popen([sys.executable, "-c", loop])
            for _ in range(processes)]
    try:
        if busy:
            time.sleep(0.2)  # let them reach their loops
        yield
    finally:
        for process in busy:
            process.kill()
            process.wait()


def llmc_bench(artifact, threads, context, gen, batch=1):
    """(TTFT ms, TPOT ms, aggregate decode tokens/s) of one measured
    llmc-run bench run (after its own warm-up); threads 0: llmc's default."""
    with tempfile.TemporaryDirectory() as work:
        figures = os.path.join(work, "bench.json")
        threading = ["--threads", str(threads)] if threads else []
        subprocess.run([os.path.join(BIN, "llmc-run"), artifact] + threading
                       + ["bench", "--prompt-len", str(context), "--gen",
                          str(gen), "--batch", str(batch), "--repeat", "1",
                          "--json", figures], check=True, capture_output=True)
        run = json.load(open(figures))["runs"][0]
    return run["ttft_ms"][0], run["tpot_ms"][0], run["decode_tokens_per_s"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads of every engine (0: each its default)")
    parser.add_argument("--contention", type=int, default=0, metavar="N",
                        help="N busy processes beside every engine run")
    parser.add_argument("--single", action="store_true",
                        help="also run llmc with one thread")
    parser.add_argument("--context", default="128,512,1024")
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4,
                        help="also measure llmc's aggregate decode at this "
                        "batch (shortest context; 1: skip)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    contexts = [int(c) for c in args.context.split(",")]
    os.makedirs(args.out, exist_ok=True)
    # The machine's bandwidth drifts (a shared VM): the bound is the best
    # of measurements before and after every model, so a figure measured
    # in a fast moment cannot look better than it is.
    cores = args.threads or os.cpu_count()
    readings = [bandwidth(cores)]
    rows = []
    for spec in args.folders:
        # FOLDER:128,512 measures that model at those contexts only.
        folder, _, own = spec.partition(":")
        model_contexts = [int(c) for c in own.split(",")] if own else contexts
        path = folder if folder.endswith(".onnx") else os.path.join(
            folder, "model.onnx")
        name = os.path.basename(os.path.normpath(folder)).removesuffix(
            ".onnx")
        total, per_token = bytes_read_per_token(path)
        session = ort_session(path, args.threads)
        vocab = session.get_outputs()[0].shape[-1]
        cached = any(i.name.startswith("past_key_values")
                     for i in session.get_inputs())
        onnxruntime_run(session, [5] * 8, 2)  # warm-up
        with tempfile.TemporaryDirectory() as work:
            artifact = os.path.join(work, "model.llmc")
            subprocess.run([os.path.join(BIN, "llmc"), "compile", path, "-o",
                            artifact, "--max-seq",
                            str(max(model_contexts) + args.gen), "--max-batch",
                            str(max(1, args.batch))],
                           check=True, capture_output=True)
            model_rows = []
            for context in model_contexts:
                prompt = np.random.default_rng(context).integers(
                    3, vocab, context).tolist()
                # llmc and onnxruntime take turns, so a drift of the
                # machine's speed touches both alike.
                # The bandwidth is read just before each llmc run: its decode
                # is also reported against the machine of that moment.
                mine, single, theirs, moments = [], [], [], []
                for _ in range(args.repeat):
                    moments.append(bandwidth(cores))
                    with contention(args.contention):
                        mine.append(llmc_bench(artifact, args.threads,
                                               context, args.gen))
                    if args.single:
                        with contention(args.contention):
                            single.append(llmc_bench(artifact, 1, context,
                                                     args.gen))
                    with contention(args.contention):
                        theirs.append(onnxruntime_run(session, prompt,
                                                      args.gen))
                readings += moments
                model_rows.append({
                    "model": name, "onnxruntime_cache": cached,
                    "weight_bytes": total,
                    "bytes_read_per_token": per_token, "context": context,
                    "gen": args.gen, "threads": args.threads,
                    "contention": args.contention,
                    "llmc": {"ttft_ms": statistics.median(m[0] for m in mine),
                             "tpot_ms": statistics.median(m[1] for m in mine),
                             "tpot_ms_runs": [m[1] for m in mine],
                             "bandwidth_before_runs": moments,
                             "fraction_of_bound_runs": [
                                 per_token / (m[1] / 1000) / b
                                 for m, b in zip(mine, moments)]},
                    "llmc_one_thread": {
                        "ttft_ms": statistics.median(m[0] for m in single),
                        "tpot_ms": statistics.median(m[1] for m in single)}
                    if single else None,
                    "onnxruntime": {
                        "ttft_ms": statistics.median(t[0] for t in theirs),
                        "tpot_ms": statistics.median(t[1] for t in theirs),
                        "tpot_ms_runs": [t[1] for t in theirs]}})
            if args.batch > 1:
                one, many = [], []
                for _ in range(args.repeat):
                    one.append(llmc_bench(artifact, args.threads,
                                          model_contexts[0], args.gen)[2])
                    many.append(llmc_bench(artifact, args.threads,
                                           model_contexts[0], args.gen,
                                           args.batch)[2])
                model_rows[0]["llmc_batch"] = {
                    "batch": args.batch,
                    "batch_1_tokens_per_s": statistics.median(one),
                    "aggregate_tokens_per_s": statistics.median(many)}
        readings.append(bandwidth(cores))
        rows += model_rows
    # The bound of the table: the median reading (one reading can catch the
    # machine unusually idle); each llmc run also against its own moment.
    read = statistics.median(readings)
    for r in rows:
        r["read_bandwidth"] = read
        r["read_bandwidth_readings"] = readings
        r["bound_tokens_per_s"] = read / r["bytes_read_per_token"]
    for name in dict.fromkeys(r["model"] for r in rows):
        with open(os.path.join(args.out, f"{name}.json"), "w") as f:
            json.dump([r for r in rows if r["model"] == name], f, indent=1)

    threads = (f"{args.threads} threads" if args.threads
               else "each engine's default threads")
    busy = (f", {args.contention} busy processes beside every run"
            if args.contention else "")
    lines = [f"{threads}{busy}, read bandwidth {read / 1e9:.1f} GB/s "
             f"(median of {len(readings)} llmc-membw readings, "
             f"{min(readings) / 1e9:.1f} to {max(readings) / 1e9:.1f}), "
             f"onnxruntime {ort.__version__}, median of {args.repeat} "
             f"alternating runs of {args.gen} decode steps", "",
             "| model | context | bound tok/s | llmc decode tok/s (% of bound)"
             " | llmc % of the bound just before each run | onnxruntime decode"
             " tok/s (% of bound) | llmc / ort | llmc prefill tok/s | ort "
             "prefill tok/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        bound = r["bound_tokens_per_s"]
        mine = 1000 / r["llmc"]["tpot_ms"]
        theirs = 1000 / r["onnxruntime"]["tpot_ms"]
        lines.append(
            f"| {r['model']} | {r['context']} | {bound:.1f} | {mine:.1f} "
            f"({100 * mine / bound:.0f} %) | "
            + ", ".join(f"{100 * x:.0f}"
                        for x in r["llmc"]["fraction_of_bound_runs"])
            + f" | {theirs:.1f} "
            f"({100 * theirs / bound:.0f} %)"
            f"{'' if r['onnxruntime_cache'] else ' no cache'} | "
            f"{mine / theirs:.2f}x | "
            f"{r['context'] / r['llmc']['ttft_ms'] * 1000:.0f} | "
            f"{r['context'] / r['onnxruntime']['ttft_ms'] * 1000:.0f} |")
    if args.single:
        lines += ["", "| model | context | llmc decode tok/s | llmc 1 thread "
                  "| onnxruntime | llmc / llmc 1 thread | llmc / ort | llmc "
                  "TTFT ms | llmc 1 thread TTFT ms |", "|---|---|---|---|---|"
                  "---|---|---|---|"]
        for r in rows:
            mine = 1000 / r["llmc"]["tpot_ms"]
            one = 1000 / r["llmc_one_thread"]["tpot_ms"]
            theirs = 1000 / r["onnxruntime"]["tpot_ms"]
            lines.append(
                f"| {r['model']} | {r['context']} | {mine:.1f} | {one:.1f} | "
                f"{theirs:.1f} | {mine / one:.2f}x | {mine / theirs:.2f}x | "
                f"{r['llmc']['ttft_ms']:.2f} | "
                f"{r['llmc_one_thread']['ttft_ms']:.2f} |")
    batched = [r for r in rows if "llmc_batch" in r]
    if batched:
        lines += ["", "| model | context | llmc batch 1 tok/s | llmc batch "
                  f"{args.batch} aggregate tok/s | ratio |", "|---|---|---|---|---|"]
        for r in batched:
            b = r["llmc_batch"]
            lines.append(
                f"| {r['model']} | {r['context']} | "
                f"{b['batch_1_tokens_per_s']:.1f} | "
                f"{b['aggregate_tokens_per_s']:.1f} | "
                f"{b['aggregate_tokens_per_s'] / b['batch_1_tokens_per_s']:.2f}x |")
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(table + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)", file=sys.stderr)
        return
    shortest = [r for r in rows if r["context"] == min(contexts)]
    sizes = [r["bytes_read_per_token"] / 1e6 for r in shortest]
    plt.figure(figsize=(6, 4))
    plt.plot(sizes, [r["bound_tokens_per_s"] for r in shortest], "k--",
             label="bandwidth bound")
    plt.plot(sizes, [1000 / r["llmc"]["tpot_ms"] for r in shortest], "o-",
             label="llmc")
    plt.plot(sizes, [1000 / r["onnxruntime"]["tpot_ms"] for r in shortest],
             "s-", label="onnxruntime")
    plt.xscale("log")
    plt.yscale("log")
    plt.xlabel("MB of weights read per token")
    plt.ylabel(f"decode tokens/s ({min(contexts)} tokens of context)")
    plt.legend()
    plt.tight_layout()
    plt.savefig(os.path.join(args.out, "decode.png"), dpi=120)


if __name__ == "__main__":
    main()
