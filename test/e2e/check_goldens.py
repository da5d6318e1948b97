"""The shipped models' golden outputs, reproduced through llmc-run.

usage: check_goldens.py MODELS_DIR STORIES.llmc FORTUNES.llmc GPT2.llmc

Prints one line per check (FileCheck'ed by shipped-goldens.test) and exits 1
at the first mismatch: every greedy case of stories260K, fortunes3m (ids,
and text through the tokenizer) and gpt2-tiny-random; gpt2's full-prompt
logits within 1e-4; fortunes3m's perplexity within 0.1 %.
"""
import json
import os
import subprocess
import sys

LLMC_RUN = "llmc-run"


def run(*args):
    result = subprocess.run([LLMC_RUN, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"check_goldens: llmc-run {' '.join(args)} failed:\n"
                 f"{result.stderr}")
    return result.stdout


def ids_arg(ids):
    return ",".join(map(str, ids))


def check(ok, line):
    print(("ok: " if ok else "MISMATCH: ") + line, flush=True)
    if not ok:
        sys.exit(1)


def greedy_cases(name, artifact, cases):
    for index, case in enumerate(cases):
        want = case["greedy_ids"]
        out = json.loads(run(artifact, "--json", "generate", "--prompt-ids",
                             ids_arg(case["prompt_ids"]), "--max-tokens",
                             str(len(want)), "--ignore-eos"))
        got = out["ids"]
        same = sum(1 for a, b in zip(got, want) if a == b)
        check(got == want,
              f"{name} case {index}: {same}/{len(want)} greedy ids match")


def main():
    models, stories, fortunes, gpt2 = sys.argv[1:5]
    golden = lambda name: json.load(
        open(os.path.join(models, f"{name}.golden.json")))

    greedy_cases("stories260K", stories, golden("stories260K")["cases"])

    fortune = golden("fortunes3m")
    greedy_cases("fortunes3m", fortunes, fortune["cases"])
    tokenizer = os.path.join(models, fortune["tokenizer"])
    for index, case in enumerate(fortune["cases"]):
        # What a user sees: the printed text, stopping at EOS.
        text = run(fortunes, "generate", "--prompt", case["text"],
                   "--tokenizer", tokenizer, "--max-tokens",
                   str(len(case["greedy_ids"])))
        want = case["greedy_text_until_eos"]
        check(text == want + "\n",
              f"fortunes3m case {index}: printed text {text[:-1]!r}")
    evaluation = json.loads(run(
        fortunes, "--json", "eval", "--text",
        os.path.join(models, fortune["eval"]["file"]), "--tokenizer",
        tokenizer))
    want = fortune["eval"]["perplexity"]
    error = abs(evaluation["perplexity"] - want) / want
    check(error <= 1e-3 and
          evaluation["tokens_scored"] == fortune["eval"]["tokens_scored"],
          f"fortunes3m perplexity {evaluation['perplexity']:.4f} over "
          f"{evaluation['tokens_scored']} tokens (golden {want}, "
          f"{100 * error:.3f} % off)")

    reference = golden("gpt2-tiny-random")
    greedy_cases("gpt2-tiny-random", gpt2, reference["cases"])
    logits = json.loads(run(gpt2, "logits", "--prompt-ids",
                            ids_arg(reference["cases"][1]["prompt_ids"])))
    want = reference["logits_for_prompt_1"]
    worst = max(abs(a - b) for row, ref in zip(logits["logits"], want)
                for a, b in zip(row, ref))
    check(len(logits["logits"]) == len(want) and worst <= 1e-4,
          f"gpt2-tiny-random prompt 1 logits: max abs difference "
          f"{worst:.1e} over {len(want)} positions")


if __name__ == "__main__":
    main()
