#!/usr/bin/env python3
"""Faults injected into `llmc compile` (issue 27): nothing but a complete
artifact is ever found at the output path.

  kill:       N compiles killed with SIGKILL at random moments (half of them
              replacing an existing artifact): afterwards the path holds no
              file, the old artifact or the new one, each complete (llmc-run
              info reads and checks it), and no temporary is left beside it.
  concurrent: two compiles to one path at once (different --max-seq): both
              exit 0 and the path holds one of the two, complete.
  full disk:  a compile under a 2 MiB file-size limit (ulimit -f): a clear
              error naming the path and "File too large", exit 1, and the
              artifact already at the path untouched.

Usage: compile_faults.py --model M.onnx --work DIR [--kills N] [--seed S]
Every step has a time bound; exits 1 on any failure."""

import argparse
import hashlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time

BOUND = 60  # seconds any one compile or check may take


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def compile_command(args, out, max_seq):
    return ["llmc", "compile", args.model, "-o", out, "--quiet",
            "--max-seq", str(max_seq)]


def max_seq_of(path):
    """The artifact's max_seq when it is complete and checks, else None."""
    done = subprocess.run(["llmc-run", path, "info", "--json"],
                          capture_output=True, text=True, timeout=BOUND)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout)["max_seq"]


def leftovers(work, out):
    name = os.path.basename(out)
    return [f for f in os.listdir(work) if f.startswith(name) and f != name]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def kills(args, rng):
    out = os.path.join(args.work, "killed.llmc")
    start = time.monotonic()
    subprocess.run(compile_command(args, out, 64), check=True,
                   capture_output=True, timeout=BOUND)
    duration = time.monotonic() - start
    outcomes = {"none": 0, "old": 0, "new": 0}
    for i in range(args.kills):
        replacing = i % 2 == 1
        if os.path.exists(out):
            os.remove(out)
        if replacing:
            subprocess.run(compile_command(args, out, 64), check=True,
                           capture_output=True, timeout=BOUND)
        process = subprocess.Popen(compile_command(args, out, 128),
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, duration * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=BOUND)
        if not os.path.exists(out):
            if replacing:
                fail(f"kill {i}: the artifact being replaced is gone")
            outcomes["none"] += 1
        else:
            seq = max_seq_of(out)
            if seq not in (64, 128) or (seq == 64 and not replacing):
                fail(f"kill {i}: {out} is not a complete artifact "
                     f"(max_seq {seq})")
            outcomes["old" if seq == 64 else "new"] += 1
        left = leftovers(args.work, out)
        if left:
            fail(f"kill {i}: left beside it: {left}")
    print(f"kill: {args.kills} compiles killed at random moments within "
          f"{duration * 1.1:.2f} s (a compile takes {duration:.2f} s): "
          f"{outcomes['none']} left no file, {outcomes['old']} the old "
          f"artifact, {outcomes['new']} the new one, each complete; no "
          "temporary left")


def concurrent(args):
    out = os.path.join(args.work, "shared.llmc")
    processes = [subprocess.Popen(compile_command(args, out, seq),
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
                 for seq in (128, 256)]
    for p in processes:
        _, err = p.communicate(timeout=BOUND)
        if p.returncode != 0:
            fail(f"concurrent: a compile failed: {err.strip()}")
    seq = max_seq_of(out)
    if seq not in (128, 256):
        fail(f"concurrent: {out} is not a complete artifact")
    if leftovers(args.work, out):
        fail(f"concurrent: left beside it: {leftovers(args.work, out)}")
    print(f"concurrent: two compiles to one path both exit 0; it holds the "
          f"one with max_seq {seq}, complete")


def full_disk(args):
    out = os.path.join(args.work, "full.llmc")
    subprocess.run(compile_command(args, out, 64), check=True,
                   capture_output=True, timeout=BOUND)
    before = digest(out)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))
    done = subprocess.run(compile_command(args, out, 128),
                          capture_output=True, text=True, timeout=BOUND,
                          preexec_fn=limit)
    message = done.stderr.strip().splitlines()[-1] if done.stderr else ""
    if done.returncode != 1 or "File too large" not in message or \
            out not in message:
        fail(f"full disk: exit {done.returncode}, said {message!r}")
    if digest(out) != before or leftovers(args.work, out):
        fail("full disk: the artifact at the path changed or a temporary "
             "was left")
    print(f"full disk: exit 1, \"{message.replace(args.work, 'WORK')}\"; "
          "the artifact already there untouched")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=27)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    kills(args, random.Random(args.seed))
    concurrent(args)
    full_disk(args)


if __name__ == "__main__":
    main()
