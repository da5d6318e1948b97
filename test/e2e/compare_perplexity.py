"""Two artifacts of one model score a text alike: their perplexities agree.

usage: compare_perplexity.py REFERENCE.llmc|REFERENCE.json OTHER.llmc
                             --text FILE --tokenizer MODEL [--tolerance 0.001]

Runs `llmc-run ... --json eval` on both and prints each perplexity and the
other's relative difference from the reference's; exits 1 above the
tolerance. A .json reference is what `llmc-run --json eval` printed for it
elsewhere (scripts/gpu-pack.sh measures the CPU's). Where two devices' low-order bits differ by design (tensor
cores sum fp8 products in their own order and precision, which flips some
roundings of quantized activations and so moves single logits by much
more than those bits), the quality they deliver is what must agree.
"""
import argparse
import json
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("reference")
parser.add_argument("other")
parser.add_argument("--text", required=True)
parser.add_argument("--tokenizer", required=True)
parser.add_argument("--tolerance", type=float, default=0.001)
args = parser.parse_args()


def perplexity(artifact):
    if artifact.endswith(".json"):
        out = json.load(open(artifact))
        return out["perplexity"], out["tokens_scored"]
    result = subprocess.run(["llmc-run", artifact, "--json", "eval", "--text",
                             args.text, "--tokenizer", args.tokenizer],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"compare_perplexity: llmc-run {artifact} failed:\n"
                 f"{result.stderr}")
    out = json.loads(result.stdout)
    return out["perplexity"], out["tokens_scored"]


want, tokens = perplexity(args.reference)
got, _ = perplexity(args.other)
relative = abs(got - want) / want
print(f"perplexity {got:.4f} against {want:.4f} over {tokens} tokens: "
      f"relative {relative:.2e} (tolerance {args.tolerance:g})")
sys.exit(0 if relative <= args.tolerance else 1)
