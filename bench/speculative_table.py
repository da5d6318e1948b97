"""Speculative decoding's speed table: fortunes3m-wide and fortunes3m, each
with fortunes-draft, n-gram lookup, self:layers=2 and self:layers=2 in 4 bits,
at temperature 0 and 1, next to plain decoding in the same run.

usage: speculative_table.py [--work /tmp/speculative] [--threads 2]
                            [--repeat 2] [--gen 64] [--out bench/results]
                            [--only TARGET] [--drafts NAMES] [--name NAME]
                            [--llama-1b]

Makes fortunes3m-wide.onnx (../shared/tools/widen_ffn.py: 58 M parameters,
fortunes3m's exact predictions, memory-bound) and a 0.9 M-parameter draft
with random weights and fortunes3m's vocabulary (make_llama_onnx.py: the
near-zero-acceptance case) in WORK, compiles each target with each draft,
and continues three text prompts (fortunes3m's golden prompts) for --gen
tokens per run. For each target, draft and temperature the runs take turns
--repeat times: plain decoding (--speculative off) and the adaptive
controller (--speculative auto, at most 4), side by side and each first in
every other turn, then speculation with k = 4 drafts per verify call
(--speculative on). Reported: the acceptance rate and tokens per verify
call of the k = 4 runs (acceptance: kept over drafted tokens; a: kept over
tested ones, those up to each first rejection, Leviathan et al.'s a);
decode tokens/s of each mode (tokens after the first over the time after
the first); the speed-ups over plain decoding (the geometric mean over the
turns of each run's decode speed over the same turn's plain run, with its
95 % confidence interval: this machine's speed drifts between runs); and
what Leviathan et al.'s formula predicts from the measured a and cost
ratio c (a drafted token's time over a plain step's):
(1 - a^5) / ((1 - a)(4c + 1)). Writes OUT/speculative.json and .md.
--llama-1b measures llama-1b (random weights: the acceptance is what it is)
with a self:layers=4,quant=int4 draft instead.
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
from compare import BIN  # noqa: E402

MODELS = os.path.join(HERE, "..", "..", "shared", "models")
TOOLS = os.path.join(HERE, "..", "..", "shared", "tools")
TOKENIZER = os.path.join(MODELS, "fortunes3m.tokenizer.model")
K = 4
DRAFTS = [("fortunes-draft", os.path.join(MODELS, "fortunes-draft.onnx")),
          ("ngram", "ngram"),
          ("self:layers=2", "self:layers=2"),
          ("self:layers=2,quant=int4", "self:layers=2,quant=int4"),
          ("random-draft (near-zero acceptance)", None)]


def isa():
    flags = open("/proc/cpuinfo").read()
    if "avx512_vnni" in flags:
        return "AVX-512 with VNNI"
    if "avx512f" in flags:
        return "AVX-512"
    return "AVX2" if "avx2" in flags else "no AVX2"


def generate(artifact, threads, prompt, gen, temperature, seed, mode):
    """`prompt`: a text (fortunes3m's tokenizer) or token ids."""
    given = ["--prompt", prompt, "--tokenizer", TOKENIZER] \
        if isinstance(prompt, str) else \
        ["--prompt-ids", ",".join(map(str, prompt))]
    command = [os.path.join(BIN, "llmc-run"), artifact, "--threads",
               str(threads), "--json", "generate", *given, "--max-tokens",
               str(gen),
               "--ignore-eos", "--temperature", str(temperature), "--seed",
               str(seed), "--speculative", mode]
    if mode != "off":
        command += ["--draft-tokens", str(K)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def interval(bounds):
    return f"[{bounds[0]:.2f}, {bounds[1]:.2f}]"


def leviathan(a, c, k=K):
    tokens = k + 1 if a >= 1 else (1 - a ** (k + 1)) / (1 - a)
    return tokens / (k * c + 1)


def paired_speedup(ratios):
    """The geometric mean of per-turn speed-ups and its 95 % confidence
    interval (normal approximation on the logarithms)."""
    logs = [math.log(x) for x in ratios]
    n = len(logs)
    mean = sum(logs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1)) \
        if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n)
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def measure(artifact, args, prompts, temperature):
    sums = {mode: {"tokens": 0, "ms": 0.0} for mode in ("off", "on", "auto")}
    ratios = {"on": [], "auto": []}
    drafted = accepted = rejected = emitted = calls = 0
    draft_ms = draft_tokens = 0.0
    for r in range(args.repeat):
        for p, prompt in enumerate(prompts):
            # Plain and adaptive runs side by side, in turn first (the
            # machine's drift cancels), then k = 4.
            order = ("off", "auto", "on") if (len(prompts) * r + p) % 2 \
                else ("auto", "off", "on")
            tpot = {}
            for mode in order:
                out = generate(artifact, args.threads, prompt, args.gen,
                               temperature, 100 * r + p, mode)
                decoded = max(0, len(out["ids"]) - 1)
                sums[mode]["tokens"] += decoded
                sums[mode]["ms"] += out["tpot_ms"] * decoded
                tpot[mode] = out["tpot_ms"]
                if mode == "on":
                    s = out["speculative"]
                    drafted += s["drafted"]
                    accepted += s["accepted"]
                    rejected += s["rejected"]
                    calls += s["verify_calls"]
                    emitted += s["accepted"] + s["verify_calls"]
                    draft_ms += s["draft_ms"]
                    draft_tokens += s["drafted"]
            for mode in ("on", "auto"):
                if tpot[mode] > 0:
                    ratios[mode].append(tpot["off"] / tpot[mode])
    rate = {m: 1000 * v["tokens"] / v["ms"] if v["ms"] else 0.0
            for m, v in sums.items()}
    rate_kept = accepted / drafted if drafted else 0.0
    a = accepted / (accepted + rejected) if accepted + rejected else 0.0
    plain_ms = 1000 / rate["off"] if rate["off"] else 0.0
    c = (draft_ms / draft_tokens) / plain_ms if draft_tokens and plain_ms \
        else 0.0
    k4, k4_low, k4_high = paired_speedup(ratios["on"])
    auto, auto_low, auto_high = paired_speedup(ratios["auto"])
    return {"acceptance": rate_kept, "token_acceptance": a,
            "tokens_per_verify": emitted / calls if calls
            else 0.0, "plain_tokens_per_s": rate["off"],
            "k4_tokens_per_s": rate["on"], "auto_tokens_per_s": rate["auto"],
            "k4_speedup": k4, "k4_speedup_ci95": [k4_low, k4_high],
            "auto_speedup": auto, "auto_speedup_ci95": [auto_low, auto_high],
            "turns": len(ratios["auto"]),
            "draft_cost_ratio": c, "leviathan_predicted": leviathan(a, c)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/speculative")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--only", help="fortunes3m-wide or fortunes3m")
    parser.add_argument("--drafts", help="comma-separated substrings of the "
                        "draft names to run (default: all)")
    parser.add_argument("--name", default="speculative",
                        help="OUT/NAME.json and .md")
    parser.add_argument("--llama-1b", action="store_true",
                        help="instead: llama-1b (make_llama_onnx.py, random "
                        "weights) with a self:layers=4,quant=int4 draft")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    wide = os.path.join(args.work, "fortunes3m-wide.onnx")
    if not os.path.exists(wide):
        subprocess.run([sys.executable, os.path.join(TOOLS, "widen_ffn.py"),
                        os.path.join(MODELS, "fortunes3m.onnx"), "--ffn",
                        "16384", "-o", wide], check=True)
    random_draft = os.path.join(args.work, "random-draft.onnx")
    if not os.path.exists(random_draft):
        subprocess.run([sys.executable, os.path.join(TOOLS,
                        "make_llama_onnx.py"), "--dim", "128", "--layers", "2",
                        "--heads", "4", "--kv-heads", "2", "--ffn", "384",
                        "--vocab", "2048", "--max-seq", "256", "--rope",
                        "half", "--seed", "7", "-o", random_draft],
                       check=True, capture_output=True)
    golden = json.load(open(os.path.join(MODELS, "fortunes3m.golden.json")))
    prompts = [case["text"] for case in golden["cases"]]
    targets = [("fortunes3m-wide", wide),
               ("fortunes3m", os.path.join(MODELS, "fortunes3m.onnx"))]
    if args.llama_1b:
        llama = os.path.join(args.work, "llama-1b.onnx")
        if not os.path.exists(llama):
            subprocess.run([sys.executable, os.path.join(
                TOOLS, "make_llama_onnx.py"), "--preset", "llama-1b", "-o",
                llama], check=True, capture_output=True)
        targets = [("llama-1b", llama)]
        # Its vocabulary is not fortunes3m's: the golden prompts' ids.
        prompts = [case["prompt_ids"] for case in golden["cases"]]
        DRAFTS[:] = [("self:layers=4,quant=int4", "self:layers=4,quant=int4")]
    rows = []
    for target, onnx in targets:
        if args.only and target != args.only:
            continue
        for name, draft in DRAFTS:
            if args.drafts and not any(d in name for d in
                                       args.drafts.split(",")):
                continue
            artifact = os.path.join(
                args.work, f"{target}-{len(rows)}.llmc")
            subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx,
                            "--draft", draft or random_draft,
                            "--max-draft-tokens", str(K), "-o", artifact],
                           check=True, capture_output=True)
            for temperature in (0, 1):
                row = {"target": target, "draft": name,
                       "temperature": temperature}
                row.update(measure(artifact, args, prompts, temperature))
                rows.append(row)
                print(json.dumps(row), flush=True)
            os.unlink(artifact)
    machine = (f"{platform.processor() or platform.machine()}, {isa()}, "
               f"{args.threads} threads")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, args.name + ".json"), "w") as f:
        json.dump({"machine": machine, "k": K, "gen": args.gen,
                   "repeat": args.repeat, "rows": rows}, f, indent=1)
    lines = [f"Speculative decoding, {machine}: k = {K}, {args.gen} tokens "
             f"per run, 3 prompts x {args.repeat}, plain / adaptive / k = 4 "
             "taking turns (bench/speculative_table.py).", "",
             "Speed-ups: the geometric mean over the turns of each run's "
             "speed over the same turn's plain run, [95 % confidence "
             "interval]; plain and adaptive runs side by side, each first "
             "in every other turn.", "",
             "| target | draft | T | acceptance | a | tokens/verify | plain "
             "tok/s | k=4 tok/s | k=4 speed-up | Leviathan predicts | "
             "adaptive tok/s | adaptive speed-up |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['target']} | {r['draft']} | {r['temperature']} | "
            f"{r['acceptance']:.2f} | {r['token_acceptance']:.2f} | "
            f"{r['tokens_per_verify']:.2f} | "
            f"{r['plain_tokens_per_s']:.1f} | {r['k4_tokens_per_s']:.1f} | "
            f"{r['k4_speedup']:.2f}x {interval(r['k4_speedup_ci95'])} | "
            f"{r['leviathan_predicted']:.2f}x | "
            f"{r['auto_tokens_per_s']:.1f} | {r['auto_speedup']:.2f}x "
            f"{interval(r['auto_speedup_ci95'])} |")
    with open(os.path.join(args.out, args.name + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
