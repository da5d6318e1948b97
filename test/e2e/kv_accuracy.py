"""Perplexity of a model whose paged KV cache holds narrower keys and values,
against the same model with an f32 cache.

usage: kv_accuracy.py [--passages N] MODELS_DIR F32KV.llmc
                      NAME=ARTIFACT:GOAL_PERCENT ...

Scores fortunes3m.eval.txt token by token (llmc-run eval --incremental:
every position after the first reads its past from the cache) with each
artifact, the f32-cache one as the reference (KL divergence, top-1
agreement). Prints one line per artifact and exits 1 when one's perplexity
is further than GOAL_PERCENT from the reference's, or the reference's from
the golden (PyTorch's) by more than 0.1 %.

--passages N (the sanitizer job, where every run is several times slower):
the text's first N passages only, so no golden to compare with; each cache
against the f32 one on them, with the same goals.
"""
import json
import os
import subprocess
import sys

args = sys.argv[1:]
passages = None
if args[0] == "--passages":
    passages, args = int(args[1]), args[2:]
models, reference = args[0], args[1]
golden = json.load(open(os.path.join(models, "fortunes3m.golden.json")))
text = os.path.join(models, golden["eval"]["file"])
tokenizer = os.path.join(models, golden["tokenizer"])
if passages:
    with open(text) as f:
        kept = f.read().split("\n\n")[:passages]
    text = reference + ".passages.txt"
    with open(text, "w") as f:
        f.write("\n\n".join(kept) + "\n")


def evaluate(artifact):
    done = subprocess.run(["llmc-run", artifact, "--json", "eval",
                           "--incremental", "--text", text, "--tokenizer",
                           tokenizer, "--ref", reference],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"kv_accuracy: llmc-run {artifact} eval failed:\n"
                 f"{done.stderr}")
    return json.loads(done.stdout)


failed = False
base = evaluate(reference)
if passages:
    print(f"ok: f32 KV perplexity {base['perplexity']:.4f} on the first "
          f"{passages} passages ({base['tokens_scored']} tokens)")
else:
    off = abs(base["perplexity"] / golden["eval"]["perplexity"] - 1) * 100
    print(f"{'ok' if off <= 0.1 else 'FAILED'}: f32 KV perplexity "
          f"{base['perplexity']:.4f} ({off:.3f} % from the golden "
          f"{golden['eval']['perplexity']})")
    failed |= off > 0.1
for spec in args[2:]:
    name, rest = spec.split("=", 1)
    artifact, goal = rest.rsplit(":", 1)
    got = evaluate(artifact)
    change = (got["perplexity"] / base["perplexity"] - 1) * 100
    ok = abs(change) <= float(goal)
    failed |= not ok
    print(f"{'ok' if ok else 'FAILED'}: {name} KV perplexity "
          f"{got['perplexity']:.4f} ({change:+.3f} % against f32 KV; goal "
          f"{goal} %), KL {got['mean_kl']:.1e}, top-1 "
          f"{100 * got['top1_agreement']:.2f} %")
sys.exit(1 if failed else 0)
