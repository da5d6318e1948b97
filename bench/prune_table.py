"""The head-pruning table of docs/pruning.md: accuracy and speed.

usage: python3 bench/prune_table.py [--models ../shared/models]
           [--work /tmp/prune-table] [--out bench/results]

For fortunes3m (calibrated on 32 sequences its own fp32 artifact sampled,
never fortunes3m.eval.txt, which it is evaluated on) and, in short,
stories260K (calibration: sampled seeds 1..32; evaluation: seeds
1000..1031), prunes ratios 0, 1/6, 1/3 and 1/2 of the query heads (unit
query) and of the KV groups (unit group), ranked by norm, by ablation and
at random (seeds 1, 2, 3: their mean and spread), and ablation-ranked
pruning followed by awq-int4 in groups of 64 (calibrated on the pruned
model; groups of 32 after removing KV groups, whose layers can be left
with output projections of 96 inputs). For each artifact: perplexity, KL divergence from and top-1
agreement with the unpruned fp32 model, artifact size, KV-cache bytes per
token, and `llmc-run bench` prefill and decode tokens/s (128-token prompt,
128 decode steps, median of 7). Writes pruning.json and pruning.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
import prune_accuracy  # noqa: E402

RATIOS = [("0", 0.0), ("1/6", 1 / 6), ("1/3", 1 / 3), ("1/2", 1 / 2)]


def speed(artifact, work):
    path = os.path.join(work, "bench.json")
    prune_accuracy.run("llmc-run", artifact, "bench", "--prompt-len", "128",
                       "--gen", "128", "--repeat", "7", "--json", path)
    with open(path) as f:
        data = json.load(f)
    run = data["runs"][0]
    return {"prefill": run["prefill_tokens_per_s"],
            "decode": run["decode_tokens_per_s"],
            "kv_per_token": data["kv_cache_bytes_per_sequence"] /
            data["kv_cache_slots"]}


class Model:
    def __init__(self, name, onnx, eval_args, calib_args, ratios,
                 quant_args=(), awq_group=64):
        self.name, self.onnx, self.awq_group = name, onnx, awq_group
        self.eval_args, self.calib_args, self.ratios = (eval_args, calib_args,
                                                        ratios)
        self.quant_args = list(quant_args)

    def evaluate(self, artifact, reference):
        return json.loads(prune_accuracy.run(
            "llmc-run", artifact, "--json", "eval", *self.eval_args, "--ref",
            reference).stdout)


def measure(model, work, fp32, label, flags, speeds=True):
    artifact = os.path.join(work, f"{model.name}-{len(os.listdir(work))}.llmc")
    chosen = prune_accuracy.compile_model(model.onnx, artifact, flags)
    scores = model.evaluate(artifact, fp32)
    row = {"model": model.name, "variant": label, "flags": flags,
           "heads": chosen, "perplexity": scores["perplexity"],
           "kl": scores["mean_kl"], "top1": scores["top1_agreement"],
           "bytes": os.path.getsize(artifact)}
    if speeds:
        row.update(speed(artifact, work))
    print(f"{model.name} {label}: perplexity {row['perplexity']:.3f}, KL "
          f"{row['kl']:.4f}, top-1 {row['top1']:.3f}"
          + (f", {row['decode']:.0f} tok/s decode" if speeds else ""),
          flush=True)
    return row


def rows_for(model, work, fp32):
    rows = [measure(model, work, fp32, "fp32 (ratio 0)", [])]
    for unit in ("query", "group"):
        for name, ratio in model.ratios[1:]:
            base = ["--prune-heads", f"{ratio:.6f}", "--prune-unit", unit]
            for score in ("norm", "ablation"):
                rows.append(measure(model, work, fp32,
                                    f"{unit} {name} {score}",
                                    base + ["--prune-score", score] +
                                    model.calib_args))
            randoms = [measure(model, work, fp32,
                               f"{unit} {name} random {seed}",
                               base + ["--prune-score", "random",
                                       "--prune-seed", str(seed)],
                               speeds=seed == 1)
                       for seed in (1, 2, 3)]
            mean = dict(randoms[0])
            mean["variant"] = f"{unit} {name} random (3 seeds)"
            for key in ("perplexity", "kl", "top1"):
                values = [r[key] for r in randoms]
                mean[key] = statistics.mean(values)
                mean[key + "_spread"] = max(values) - min(values)
            rows.append(mean)
        # Groups of 64 where the pruned output projections' inputs allow
        # (a fortunes3m layer left with one KV group has 3 heads of 32: 96).
        name, ratio = model.ratios[2]
        group = model.awq_group if unit == "query" else 32
        rows.append(measure(
            model, work, fp32, f"{unit} {name} ablation + awq-int4 g{group}",
            ["--prune-heads", f"{ratio:.6f}", "--prune-unit", unit,
             "--prune-score", "ablation", "--quant", "awq-int4",
             "--group-size", str(group)] + model.calib_args +
            model.quant_args))
    rows.append(measure(model, work, fp32,
                        f"awq-int4 g{model.awq_group} (no pruning)",
                        ["--quant", "awq-int4", "--group-size",
                         str(model.awq_group)] +
                        model.calib_args + model.quant_args))
    return rows


def table(rows):
    lines = ["| variant | perplexity | KL vs fp32 | top-1 | artifact | "
             "KV cache / token | prefill tok/s | decode tok/s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        spread = (f" (spread {r['perplexity_spread']:.2f})"
                  if "perplexity_spread" in r else "")
        lines.append(
            f"| {r['variant']} | {r['perplexity']:.3f}{spread} | "
            f"{r['kl']:.4f} | {100 * r['top1']:.1f} % | "
            f"{r['bytes'] / 2**20:.2f} MiB | "
            f"{r['kv_per_token'] / 1024:.2f} KiB | {r['prefill']:.0f} | "
            f"{r['decode']:.0f} |")
    return "\n".join(lines) + "\n"


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=os.path.join(HERE, "..", "..",
                                                         "shared", "models"))
    parser.add_argument("--work", default="/tmp/prune-table")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--only", choices=["fortunes3m", "stories260K"],
                        help="measure this model alone (the others' rows "
                             "stay as pruning.json has them)")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    isa = "AVX-512" if "avx512f" in flags else "AVX2"
    models = []
    fortunes = os.path.join(args.models, "fortunes3m.onnx")
    fortunes_fp32 = os.path.join(args.work, "fortunes3m-fp32.llmc")
    prune_accuracy.compile_model(fortunes, fortunes_fp32, [])
    calib = os.path.join(args.work, "fortunes3m-calib.ids")
    prune_accuracy.sample_ids(fortunes_fp32, range(1, 33), calib)
    models.append((Model(
        "fortunes3m", fortunes,
        ["--text", os.path.join(args.models, "fortunes3m.eval.txt"),
         "--tokenizer", os.path.join(args.models,
                                     "fortunes3m.tokenizer.model")],
        ["--calib", calib], RATIOS), fortunes_fp32))
    stories = os.path.join(args.models, "stories260K.onnx")
    stories_fp32 = os.path.join(args.work, "stories260K-fp32.llmc")
    prune_accuracy.compile_model(stories, stories_fp32, [])
    stories_calib = os.path.join(args.work, "stories-calib.ids")
    stories_eval = os.path.join(args.work, "stories-eval.ids")
    prune_accuracy.sample_ids(stories_fp32, range(1, 33), stories_calib)
    prune_accuracy.sample_ids(stories_fp32, range(1000, 1032), stories_eval)
    # stories260K's down projections (172 inputs) are not a multiple of 32,
    # nor are pruned output projections (3 KV groups of 2 heads of 8: 48):
    # AWQ leaves both f32.
    models.append((Model("stories260K", stories, ["--ids", stories_eval],
                         ["--calib", stories_calib],
                         [RATIOS[0], RATIOS[2], RATIOS[3]],
                         quant_args=["--skip", " down,/wo/"], awq_group=32),
                   stories_fp32))
    # Each model's rows as it finishes (pruning.json: every model run so
    # far, --only one at a time).
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "pruning.json")
    results = {}
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)["results"]
    for model, fp32 in models:
        if args.only and model.name != args.only:
            continue
        results[model.name] = rows_for(model, args.work, fp32)
        with open(path, "w") as f:
            json.dump({"cpu": cpu_name(), "isa": isa, "results": results}, f,
                      indent=1)
    with open(os.path.join(args.out, "pruning.md"), "w") as f:
        f.write(f"CPU: {cpu_name()} ({isa}), {os.cpu_count()} threads\n\n")
        for name, rows in results.items():
            f.write(f"### {name}\n\n" + table(rows) + "\n")
    print(open(os.path.join(args.out, "pruning.md")).read())


if __name__ == "__main__":
    main()
