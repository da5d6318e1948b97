"""A paged KV cache computes what a contiguous one does.

usage: paged_identity.py NAME CONTIGUOUS.llmc PAGED.llmc VOCAB [DEVICES]
(the paged one compiled with --kv-layout paged --max-batch 4; DEVICES:
llmc-run's --device values to generate on, default auto,cpu-staged; a
CUDA artifact takes auto)

Prints one line per check (FileCheck'ed by paged-goldens.test) and exits 1
at the first failure:
- one prompt, in one call and token by token: the logits of every
  position equal the contiguous cache's (max abs difference <= 1e-6);
- four prompts of different lengths sharing the pool, decoded together
  token by token (each sequence at its own position): each one's logits
  equal what the contiguous cache gives it alone;
- the greedy tokens of those four, generated together, equal each one's
  generated alone over the contiguous cache, on the CPU device and on the
  cpu-staged one (the GPU's device path);
- four prompts sharing a 37-token prefix: the later ones take its cached
  blocks (the prefix hits are counted) and still generate the tokens each
  generates alone.
Prompt ids are drawn from a seeded generator below VOCAB.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np

name, contiguous, paged, vocab = sys.argv[1], sys.argv[2], sys.argv[3], int(
    sys.argv[4])
devices = (sys.argv[5] if len(sys.argv) > 5 else "auto,cpu-staged").split(",")


def run(artifact, *args):
    result = subprocess.run(["llmc-run", artifact, *args], capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"paged_identity: llmc-run {artifact} {' '.join(args)} "
                 f"failed:\n{result.stderr}")
    return json.loads(result.stdout)


def check(ok, line):
    print(("ok: " if ok else "FAILED: ") + f"{name}: {line}", flush=True)
    if not ok:
        sys.exit(1)


def ids(prompt):
    return ",".join(map(str, prompt))


def prompts_file(prompts):
    handle, path = tempfile.mkstemp(suffix=".ids")
    with os.fdopen(handle, "w") as out:
        for prompt in prompts:
            out.write(" ".join(map(str, prompt)) + "\n")
    return path


rng = random.Random(24)


def draw(length):
    return [rng.randrange(3, vocab) for _ in range(length)]


# One prompt: a whole call, and token by token.
one = draw(40)
for mode in ([], ["--incremental"]):
    want = np.array(run(contiguous, "logits", "--prompt-ids", ids(one),
                        *mode)["logits"])
    got = np.array(run(paged, "logits", "--prompt-ids", ids(one),
                       *mode)["logits"])
    diff = float(np.abs(got - want).max())
    check(got.shape == want.shape and diff <= 1e-6,
          f"batch 1{' incremental' if mode else ''}: {got.shape[0]} positions,"
          f" max abs difference {diff:.1e}")

# Four prompts of different lengths, together over one pool.
mixed = [draw(n) for n in (5, 23, 40, 17)]
path = prompts_file(mixed)
together = run(paged, "logits", "--prompt-ids-file", path,
               "--incremental")["logits"]
worst = 0.0
for prompt, rows in zip(mixed, together):
    alone = np.array(run(contiguous, "logits", "--prompt-ids", ids(prompt),
                         "--incremental")["logits"])
    rows = np.array(rows)
    if rows.shape != alone.shape:
        check(False, f"{rows.shape} logits against {alone.shape}")
    worst = max(worst, float(np.abs(rows - alone).max()))
check(worst <= 1e-6, f"batch of 4 (lengths {[len(p) for p in mixed]}) decoded "
      f"together: max abs difference {worst:.1e} from each alone")


def generated_alone(prompts):
    return [run(contiguous, "--json", "generate", "--prompt-ids", ids(p),
                "--max-tokens", "24", "--ignore-eos")["ids"] for p in prompts]


alone = generated_alone(mixed)
for device in devices:
    out = run(paged, "--json", "--device", device, "generate",
              "--prompt-ids-file", path, "--max-tokens", "24", "--ignore-eos")
    same = [s["ids"] for s in out["sequences"]] == alone
    check(same, f"batch of 4 generated together ({device} device): "
          f"{'the same' if same else 'different'} greedy tokens as each alone")
os.unlink(path)

# A shared prefix: the later prompts take its blocks from the cache.
prefix = draw(37)
shared = [prefix + draw(n) for n in (3, 9, 1, 14)]
path = prompts_file(shared)
out = run(paged, "--json", "generate", "--prompt-ids-file", path,
          "--max-tokens", "24", "--ignore-eos")
os.unlink(path)
kv = out["kv_cache"]
same = [s["ids"] for s in out["sequences"]] == generated_alone(shared)
check(same and kv["prefix_hits"] > 0,
      f"shared prefix: {kv['prefix_hits']} of {kv['prefix_lookups']} blocks "
      f"found cached, {'the same' if same else 'different'} greedy tokens as "
      f"each alone")
