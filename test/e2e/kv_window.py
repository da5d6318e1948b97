"""Eviction for unbounded generation (llmc compile --kv-window) on fortunes3m.

usage: kv_window.py MODELS PAGED.llmc WINDOW.llmc [DEVICES]
(PAGED: --kv-layout paged --max-batch 4; WINDOW: the same with --kv-window
128 --kv-sinks 4; DEVICES: llmc-run's --device values, default
auto,cpu-staged)

Prints one line per check (FileCheck'ed by kv-window.test), exits 1 at the
first failure:
- until a sequence holds sinks + window tokens nothing is evicted: logits
  equal the paged cache's bit for bit, and after that they are not equal
  (tokens were evicted) but finite;
- the concatenated eval text (20,096 scored tokens, one stream of 20,469
  tokens) scored token by token through the evicting cache: perplexity
  within 10 % of the golden per-passage figure (the eviction rotating the
  kept keys wrongly, or not at all, gives about 190);
- 1,000 tokens generated from BOS, past the 256 positions the model has,
  with the cache never holding more than its budget's blocks; the same
  tokens on every device (the cpu-staged device copies the blocks through
  host memory as a GPU's does), and for four sequences generated together.
"""
import json
import math
import random
import subprocess
import sys

import numpy as np

models, paged, window = sys.argv[1], sys.argv[2], sys.argv[3]
devices = (sys.argv[4] if len(sys.argv) > 4 else "auto,cpu-staged").split(",")
BUDGET, BLOCK = 132, 16


def run(artifact, *args):
    result = subprocess.run(["llmc-run", artifact, *args], capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"kv_window: llmc-run {artifact} {' '.join(args)} failed:\n"
                 f"{result.stderr}")
    return json.loads(result.stdout)


def check(ok, line):
    print(("ok: " if ok else "FAILED: ") + line, flush=True)
    if not ok:
        sys.exit(1)


rng = random.Random(132)
prompt = [1] + [rng.randrange(3, 2048) for _ in range(199)]
ids = ",".join(map(str, prompt))
want = np.array(run(paged, "logits", "--prompt-ids", ids,
                    "--incremental")["logits"])
got = np.array(run(window, "logits", "--prompt-ids", ids,
                   "--incremental")["logits"])
before = float(np.abs(got[:BUDGET] - want[:BUDGET]).max())
after = float(np.abs(got[BUDGET:] - want[BUDGET:]).max())
check(got.shape == want.shape and before == 0.0,
      f"{BUDGET} positions before the first eviction: max abs difference "
      f"{before:.1e} from the paged cache")
check(after > 0.0 and bool(np.isfinite(got).all()),
      f"{len(prompt) - BUDGET} positions after it: they differ ({after:.2f}), "
      f"all finite")

golden = json.load(open(f"{models}/fortunes3m.golden.json"))["eval"]
out = run(window, "--json", "eval", "--text", f"{models}/fortunes3m.eval.txt",
          "--tokenizer", f"{models}/fortunes3m.tokenizer.model",
          "--incremental", "--stream")
ratio = out["perplexity"] / golden["perplexity"]
check(out["tokens_scored"] == golden["tokens_scored"] and
      abs(ratio - 1) <= 0.10,
      f"one stream of {out['tokens_scored']} scored tokens: perplexity "
      f"{out['perplexity']:.2f}, {100 * (ratio - 1):+.1f} % from the golden "
      f"per-passage {golden['perplexity']:.2f}")

tokens = {}
for device in devices:
    gen = run(window, "--json", "--device", device, "generate", "--prompt-ids",
              "1", "--max-tokens", "1000", "--ignore-eos")
    kv = gen["kv_cache"]
    tokens[device] = gen["ids"]
    # BOS and 999 tokens fed back; the last block's worth stays.
    held = 1000 - kv["evicted_tokens"]
    check(len(gen["ids"]) == 1000 and BUDGET - BLOCK < held <= BUDGET and
          kv["peak_held_blocks"] <= math.ceil(BUDGET / BLOCK),
          f"1000 tokens generated ({device} device) past max_seq 256: "
          f"{kv['evicted_tokens']} evicted in {kv['window_evictions']} "
          f"evictions, at most {kv['peak_held_blocks']} blocks held")
check(all(t == tokens[devices[0]] for t in tokens.values()),
      f"the same tokens on the {' and '.join(devices)} devices")

with open(f"{window}.four.ids", "w") as f:
    for n in (1, 7, 140, 30):
        f.write(" ".join(["1"] + [str(rng.randrange(3, 2048))
                                  for _ in range(n - 1)]) + "\n")
four = run(window, "--json", "generate", "--prompt-ids-file",
           f"{window}.four.ids", "--max-tokens", "300", "--ignore-eos")
lines = open(f"{window}.four.ids").read().split("\n")[:4]
alone = [run(window, "--json", "generate", "--prompt-ids",
             ",".join(line.split()), "--max-tokens", "300",
             "--ignore-eos")["ids"] for line in lines]
same = [s["ids"] for s in four["sequences"]] == alone
check(same, "4 sequences (prompts of 1, 7, 140 and 30 tokens) generating 300 "
      f"tokens together: {'the same' if same else 'different'} tokens as each "
      "alone")
