"""Two artifacts of one model give the same logits, within a tolerance.

usage: compare_logits.py REFERENCE.llmc OTHER.llmc --prompt-ids 1,2,3
                         [--tolerance 0.02]

Runs `llmc-run ... logits` on both (every prompt position) and prints the
largest difference relative to the reference's largest magnitude; exits 1
above the tolerance. The GPU check uses it for an fp16 CUDA artifact
against the fp32 CPU one (docs/gpu.md); with --dummy-weights artifacts of
one model both fill the same weights (f16: the f32 values rounded).
"""
import argparse
import json
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("reference")
parser.add_argument("other")
parser.add_argument("--prompt-ids", required=True)
parser.add_argument("--tolerance", type=float, default=0.02)
args = parser.parse_args()


def logits(artifact):
    result = subprocess.run(["llmc-run", artifact, "logits", "--prompt-ids",
                             args.prompt_ids], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"compare_logits: llmc-run {artifact} failed:\n"
                 f"{result.stderr}")
    return json.loads(result.stdout)["logits"]


want, got = logits(args.reference), logits(args.other)
if len(want) != len(got) or any(len(a) != len(b) for a, b in zip(want, got)):
    sys.exit("compare_logits: the two artifacts give logits of different "
             "shapes")
scale = max(abs(v) for row in want for v in row)
worst = max(abs(a - b) for ra, rb in zip(want, got) for a, b in zip(ra, rb))
relative = worst / scale if scale > 0 else worst
same_top = sum(1 for ra, rb in zip(want, got)
               if max(range(len(ra)), key=ra.__getitem__) ==
               max(range(len(rb)), key=rb.__getitem__))
print(f"max |difference| {worst:.3e} against largest |logit| {scale:.3e}: "
      f"relative {relative:.2e} (tolerance {args.tolerance:g}) over "
      f"{len(want)} positions; argmax agrees at {same_top}/{len(want)}")
sys.exit(0 if relative <= args.tolerance else 1)
