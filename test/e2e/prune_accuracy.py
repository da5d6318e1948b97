"""Head-pruning accuracy on fortunes3m, and the order the scores must keep.

usage: prune_accuracy.py MODELS_DIR WORK_DIR [--ratio 0.3333] [--reduced]

Calibrates on sequences sampled from fortunes3m's own fp32 artifact (seeds
1..32; never the evaluation text), prunes the given share of query heads
ranked by `ablation` (the calibration loss with each head masked, greedily
over rounds) and by `norm`, prunes the same number of heads at random
(seeds 1, 2, 3) and the last head of each KV group in every layer, and
evaluates each on the held-out fortunes3m.eval.txt. Prints one line per
variant (perplexity, KL and top-1 agreement against the unpruned model)
and exits 1 unless ablation-ranked pruning has a lower perplexity than the
mean of the random ones and than the last heads.

--reduced (the sanitizer job, where every run is several times slower):
every variant calibrated on 8 sequences, compiled and evaluated on the
text's first 100 passages; the order is not checked (so reduced, ablation
falls behind the last heads: the full run checks it).
"""
import argparse
import json
import os
import re
import subprocess
import sys

from quant_accuracy import sample_ids  # noqa: F401 (bench/prune_table.py)


def run(*args):
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"prune_accuracy: {' '.join(args)} failed:\n{done.stderr}")
    return done


def compile_model(onnx, artifact, flags):
    """Compiles; returns the list the ranking chose (or the one given)."""
    done = run("llmc", "compile", onnx, "-o", artifact, *flags)
    chosen = re.search(r"lowest: heads=(\S*)", done.stderr)
    return chosen.group(1) if chosen else None


def evaluate(artifact, reference, text, tokenizer):
    return json.loads(run("llmc-run", artifact, "--json", "eval", "--text",
                          text, "--tokenizer", tokenizer, "--ref",
                          reference).stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models")
    parser.add_argument("work")
    parser.add_argument("--ratio", type=float, default=1 / 3)
    parser.add_argument("--reduced", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    onnx = os.path.join(args.models, "fortunes3m.onnx")
    text = os.path.join(args.models, "fortunes3m.eval.txt")
    tokenizer = os.path.join(args.models, "fortunes3m.tokenizer.model")
    fp32 = os.path.join(args.work, "fp32.llmc")
    compile_model(onnx, fp32, [])
    calib = os.path.join(args.work, "calib.ids")
    sample_ids(fp32, range(1, 9 if args.reduced else 33), calib)
    if args.reduced:
        with open(text) as f:
            passages = f.read().split("\n\n")[:100]
        text = os.path.join(args.work, "passages.txt")
        with open(text, "w") as f:
            f.write("\n\n".join(passages) + "\n")

    ratio = f"{args.ratio:.6f}"
    variants = [("ablation", ["--prune-score", "ablation", "--calib", calib]),
                ("norm", ["--prune-score", "norm", "--calib", calib])]
    variants += [(f"random {seed}", ["--prune-score", "random",
                                     "--prune-seed", str(seed)])
                 for seed in (1, 2, 3)]
    results = {}
    for name, flags in variants:
        artifact = os.path.join(args.work, name.replace(" ", "-") + ".llmc")
        chosen = compile_model(onnx, artifact, ["--prune-heads", ratio] + flags)
        results[name] = (chosen, evaluate(artifact, fp32, text, tokenizer))
    # The last head of each KV group (fortunes3m: 6 query heads in 2
    # groups), as many per layer as the ratio asks of every layer.
    per_group = round(args.ratio * 3)
    last = ";".join(f"{layer}:" + ",".join(
        str(g * 3 + h) for g in range(2) for h in range(3 - per_group, 3))
        for layer in range(6))
    artifact = os.path.join(args.work, "last.llmc")
    compile_model(onnx, artifact, ["--prune-heads-list", last])
    results["last heads"] = (last, evaluate(artifact, fp32, text, tokenizer))

    for name, (chosen, scores) in results.items():
        print(f"{name:12s} perplexity {scores['perplexity']:8.3f}  KL "
              f"{scores['mean_kl']:.4f}  top-1 {scores['top1_agreement']:.3f}"
              f"  heads={chosen}")
    ablation = results["ablation"][1]["perplexity"]
    random_mean = sum(results[f"random {s}"][1]["perplexity"]
                      for s in (1, 2, 3)) / 3
    last_heads = results["last heads"][1]["perplexity"]
    print(f"ablation {ablation:.3f} vs random mean {random_mean:.3f} and "
          f"last heads {last_heads:.3f}")
    if not args.reduced and not (ablation < random_mean and
                                 ablation < last_heads):
        sys.exit("prune_accuracy: ablation-ranked pruning is not better than "
                 "random pruning and the last heads")


if __name__ == "__main__":
    main()
