"""Quantization accuracy on the shipped real models, and its expected order.

usage: quant_accuracy.py MODELS_DIR WORK_DIR [--json FILE] [--reduced]

For fortunes3m (real held-out text; calibrated on the GPL-3 and Apache-2.0
license texts of Debian's base-files, never the evaluation text) and
stories260K (token sequences sampled from its fp32 model: seeds 1..32 for
calibration, 1000..1031 for evaluation), compiles fp32, int8 (weights
only, and with dynamic per-token int8 activations), fp8 (weights only, and
with static or dynamic per-tensor fp8 activations), and
rtn/gptq/awq int4 in groups of 32 and 64 (stories260K: 32, its down
projections (172 inputs) left in fp32), evaluates each against the fp32
artifact (`llmc-run eval --ref`) and prints one line per variant. Then
checks, exiting 1 at the first failure:
  - fortunes3m's fp32 perplexity is its golden one (within 0.1 %);
  - the two int8 and the three fp8 have lower KL and perplexity than
    rtn-int4;
  - gptq-int4 and awq-int4 have lower perplexity and lower mean per-layer
    output error (on the calibration inputs) than rtn-int4, group by group;
  - fortunes3m int4 group 64: gptq and awq within 3 % of fp32 perplexity.
bench/quant_table.py adds artifact sizes and decode speed to the same runs.

--reduced (the sanitizer job, where every run is several times slower):
stories260K alone, calibrated and evaluated on 8 sampled sequences each;
every variant still compiled and evaluated, and the order checked (its
margins are wide: rtn-int4 is 7 times fp32's perplexity).
"""
import json
import os
import subprocess
import sys

LICENSES = ["/usr/share/common-licenses/GPL-3",
            "/usr/share/common-licenses/Apache-2.0"]


def run(*args):
    result = subprocess.run(list(args), capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"quant_accuracy: {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def sample_ids(artifact, seeds, path):
    """Sequences sampled from `artifact` (BOS first, stop at BOS)."""
    with open(path, "w") as out:
        for seed in seeds:
            generated = json.loads(run(
                "llmc-run", artifact, "--json", "generate", "--prompt-ids",
                "1", "--max-tokens", "200", "--temperature", "1.0", "--seed",
                str(seed), "--stop-ids", "1"))
            out.write(" ".join(map(str, [1] + generated["ids"])) + "\n")


class Model:
    def __init__(self, name, onnx, groups, eval_args, calib_args, skip=None):
        self.name, self.onnx, self.groups = name, onnx, groups
        self.eval_args, self.calib_args, self.skip = eval_args, calib_args, skip

    def variants(self):
        yield "fp32", []
        yield "int8", ["--quant", "int8"]
        yield "int8 dynamic", ["--quant", "int8", "--int8-activations",
                               "dynamic"]
        yield "fp8", ["--quant", "fp8"]
        yield "fp8 static", ["--quant", "fp8", "--fp8-activations",
                             "static"] + self.calib_args
        yield "fp8 dynamic", ["--quant", "fp8", "--fp8-activations",
                              "dynamic"]
        skip = ["--skip", self.skip] if self.skip else []
        for group in self.groups:
            for method in ["rtn", "gptq", "awq"]:
                yield (f"{method}-int4 g{group}",
                       ["--quant", f"{method}-int4", "--group-size",
                        str(group)] + skip + self.calib_args)


def measure(model, work):
    """Compiles and evaluates every variant: a list of result dicts."""
    results = []
    reference = None
    for label, flags in model.variants():
        stem = os.path.join(work, f"{model.name}-{label.replace(' ', '-')}")
        artifact = stem + ".llmc"
        report = []
        if "--calib" in flags and "fp8" not in flags:
            report = ["--quant-report", stem + ".json"]
        run("llmc", "compile", model.onnx, "-o", artifact, *flags, *report)
        ref = ["--ref", reference] if reference else []
        scores = json.loads(run("llmc-run", artifact, "--json", "eval",
                                *model.eval_args, *ref))
        result = {"model": model.name, "variant": label,
                  "artifact": artifact,
                  "bytes": os.path.getsize(artifact),
                  "perplexity": scores["perplexity"],
                  "tokens": scores["tokens_scored"],
                  "kl": scores.get("mean_kl", 0.0),
                  "top1": scores.get("top1_agreement", 1.0)}
        if report:
            with open(stem + ".json") as f:
                result["layer_error"] = json.load(f)[
                    "mean_relative_output_error"]
        results.append(result)
        if reference is None:
            reference = artifact
    return results


def models(models_dir, work, reduced=False):
    tokenizer = os.path.join(models_dir, "fortunes3m.tokenizer.model")
    calib_text = os.path.join(work, "licenses.txt")
    with open(calib_text, "w") as out:
        for path in LICENSES:
            with open(path) as f:
                out.write(f.read() + "\n\n")
    fortunes = Model(
        "fortunes3m", os.path.join(models_dir, "fortunes3m.onnx"), [32, 64],
        ["--text", os.path.join(models_dir, "fortunes3m.eval.txt"),
         "--tokenizer", tokenizer],
        ["--calib", calib_text, "--calib-tokenizer", tokenizer])

    stories_onnx = os.path.join(models_dir, "stories260K.onnx")
    fp32 = os.path.join(work, "stories-sampler.llmc")
    run("llmc", "compile", stories_onnx, "-o", fp32)
    calib_ids = os.path.join(work, "stories-calib.ids")
    eval_ids = os.path.join(work, "stories-eval.ids")
    sequences = 8 if reduced else 32
    sample_ids(fp32, range(1, 1 + sequences), calib_ids)
    sample_ids(fp32, range(1000, 1000 + sequences), eval_ids)
    stories = Model("stories260K", stories_onnx, [32], ["--ids", eval_ids],
                    ["--calib", calib_ids], skip=" down")
    return [stories] if reduced else [fortunes, stories]


def describe(r):
    line = (f"{r['model']} {r['variant']}: perplexity {r['perplexity']:.4f}, "
            f"KL {r['kl']:.5f}, top-1 {100 * r['top1']:.2f} %")
    if "layer_error" in r:
        line += f", layer error {r['layer_error']:.5f}"
    return line


def check(ok, line):
    print(("ok: " if ok else "FAILED: ") + line, flush=True)
    if not ok:
        sys.exit(1)


def check_order(results, models_dir):
    by = {(r["model"], r["variant"]): r for r in results}
    measured = {r["model"] for r in results}
    if "fortunes3m" in measured:
        golden = json.load(open(os.path.join(models_dir,
                                             "fortunes3m.golden.json")))
        want = golden["eval"]["perplexity"]
        got = by[("fortunes3m", "fp32")]["perplexity"]
        check(abs(got - want) / want <= 1e-3,
              f"fortunes3m fp32 perplexity {got:.4f} (golden {want})")
    for model, groups in [("fortunes3m", [32, 64]), ("stories260K", [32])]:
        if model not in measured:
            continue
        for group in groups:
            rtn = by[(model, f"rtn-int4 g{group}")]
            for eight in ["int8", "int8 dynamic", "fp8", "fp8 static",
                          "fp8 dynamic"]:
                r = by[(model, eight)]
                check(r["kl"] < rtn["kl"] and
                      r["perplexity"] < rtn["perplexity"],
                      f"{model} {eight} below rtn-int4 g{group} in KL "
                      f"({r['kl']:.5f} < {rtn['kl']:.5f}) and perplexity "
                      f"({r['perplexity']:.3f} < {rtn['perplexity']:.3f})")
            for method in ["gptq", "awq"]:
                r = by[(model, f"{method}-int4 g{group}")]
                check(r["perplexity"] < rtn["perplexity"] and
                      r["layer_error"] < rtn["layer_error"],
                      f"{model} {method}-int4 g{group} below rtn in "
                      f"perplexity ({r['perplexity']:.3f} < "
                      f"{rtn['perplexity']:.3f}) and layer error "
                      f"({r['layer_error']:.5f} < {rtn['layer_error']:.5f})")
    if "fortunes3m" not in measured:
        return
    fp32 = by[("fortunes3m", "fp32")]["perplexity"]
    for method in ["gptq", "awq"]:
        r = by[("fortunes3m", f"{method}-int4 g64")]
        rise = r["perplexity"] / fp32 - 1
        check(rise <= 0.03, f"fortunes3m {method}-int4 g64 perplexity "
                            f"{100 * rise:.2f} % above fp32 (goal: 3 %)")


def main():
    models_dir, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    results = []
    for model in models(models_dir, work, "--reduced" in sys.argv):
        for r in measure(model, work):
            print(describe(r), flush=True)
            results.append(r)
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as f:
            json.dump(results, f, indent=1)
    check_order(results, models_dir)


if __name__ == "__main__":
    main()
