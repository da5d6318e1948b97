"""Sequences run together in a batch give the logits they give alone.

usage: batch_parity.py ARTIFACT.llmc (compiled with --max-batch 2)

Runs two different 8-token prompts alone and as one batch of 2, each way in
one call and token by token through the KV cache, and compares like with
like (a call with a call, decoding with decoding: batching must not change
a sequence's logits); prints the largest differences and exits 1 when a
decode step differs by more than 1e-5 or a whole call by more than 1e-5 of
the largest logit (float rounding where a call's rows pass the 64 the
linear kernels stream: OpenBLAS's SGEMM blocks its sums by the number of
rows and by the slice of outputs each thread's chunk gets, measured at
1.2e-6 of it when 16 rows went there; the 16 rows here are streamed and
give the bits they give alone, 0.0).
"""
import json
import subprocess
import sys

import numpy as np

artifact = sys.argv[1]


def logits(ids, *extra):
    out = subprocess.run(["llmc-run", artifact, "logits", "--prompt-ids",
                          ",".join(map(str, ids)), *extra],
                         capture_output=True, text=True, check=True).stdout
    return np.array(json.loads(out)["logits"])


a, b = [1, 400, 300, 200, 100, 50, 60, 70], [1, 5, 6, 7, 8, 9, 10, 11]
alone = np.stack([logits(a), logits(b)])
alone_stepped = np.stack([logits(a, "--incremental"),
                          logits(b, "--incremental")])
together = logits(a + b, "--batch", "2")
stepped = logits(a + b, "--batch", "2", "--incremental")
full = float(np.abs(together - alone).max())
cached = float(np.abs(stepped - alone_stepped).max())
print(f"batch of 2 {together.shape}: max |batched - alone| = {full:.1e}, "
      f"cached decode {cached:.1e}")
scale = float(np.abs(alone).max())
sys.exit(0 if full <= 1e-5 * scale and cached <= 1e-5 else 1)
