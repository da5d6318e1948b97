"""Speculative decoding's greedy identity on the shipped goldens.

usage: speculative_goldens.py MODELS_DIR LABEL STORIES.llmc|- FORTUNES.llmc

Both artifacts (stories260K's may be left out: -) carry a draft (llmc compile --draft ...) and take batches of
4. With speculation (--speculative on, draft tokens 1, 4 and 8), every greedy
case of stories260K and fortunes3m must come out exactly as its golden ids,
one sequence at a time and all cases of a model as one batch of 4 (their
prompts have different lengths, so each sequence verifies from its own
position; the batch repeats the first case to fill 4), and the fortunes3m
text cases must print their golden text. Prints one line per check and
exits 1 at the first mismatch.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_goldens import check, run  # noqa: E402


def generate(artifact, k, *args):
    return json.loads(run(artifact, "--json", "generate", "--speculative",
                          "on", "--draft-tokens", str(k), "--ignore-eos",
                          *args))


def one_by_one(label, name, artifact, cases, k):
    accepted = drafted = 0
    for index, case in enumerate(cases):
        want = case["greedy_ids"]
        out = generate(artifact, k, "--prompt-ids",
                       ",".join(map(str, case["prompt_ids"])), "--max-tokens",
                       str(len(want)))
        if out["ids"] != want:
            same = sum(1 for a, b in zip(out["ids"], want) if a == b)
            check(False, f"{label} {name} case {index}, k {k}: {same}/"
                         f"{len(want)} greedy ids match")
        accepted += out["speculative"]["accepted"]
        drafted += out["speculative"]["drafted"]
    check(True, f"{label} {name} k {k}: {len(cases)} cases match one by one "
                f"({accepted} of {drafted} drafted tokens accepted)")


def as_batch(label, name, artifact, cases, k):
    batch = (cases + cases)[:4]
    with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as f:
        for case in batch:
            f.write(" ".join(map(str, case["prompt_ids"])) + "\n")
        path = f.name
    try:
        most = max(len(case["greedy_ids"]) for case in batch)
        out = generate(artifact, k, "--prompt-ids-file", path,
                       "--max-tokens", str(most))
    finally:
        os.unlink(path)
    lengths = sorted({len(case["prompt_ids"]) for case in batch})
    for index, (case, got) in enumerate(zip(batch, out["sequences"])):
        want = case["greedy_ids"]
        if got["ids"][:len(want)] != want:
            same = sum(1 for a, b in zip(got["ids"], want) if a == b)
            check(False, f"{label} {name} batch of 4, k {k}, sequence "
                         f"{index}: {same}/{len(want)} greedy ids match")
    check(True, f"{label} {name} k {k}: a batch of 4 (prompts of "
                f"{', '.join(map(str, lengths))} tokens) matches "
                f"({out['speculative']['acceptance_rate']:.2f} accepted)")


def main():
    models, label, stories, fortunes = sys.argv[1:5]
    golden = lambda name: json.load(
        open(os.path.join(models, f"{name}.golden.json")))
    story = golden("stories260K")
    fortune = golden("fortunes3m")
    targets = [("fortunes3m", fortunes, fortune)]
    if stories != "-":
        targets.insert(0, ("stories260K", stories, story))
    for k in (1, 4, 8):
        for name, artifact, reference in targets:
            one_by_one(label, name, artifact, reference["cases"], k)
            as_batch(label, name, artifact, reference["cases"], k)
    tokenizer = os.path.join(models, fortune["tokenizer"])
    for index, case in enumerate(fortune["cases"]):
        text = run(fortunes, "generate", "--speculative", "on", "--prompt",
                   case["text"], "--tokenizer", tokenizer, "--max-tokens",
                   str(len(case["greedy_ids"])))
        check(text == case["greedy_text_until_eos"] + "\n",
              f"{label} fortunes3m case {index}: printed text {text[:-1]!r}")


if __name__ == "__main__":
    main()
