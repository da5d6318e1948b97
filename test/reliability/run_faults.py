#!/usr/bin/env python3
"""Faults injected into `llmc-run` (issue 27): an artifact changed on disk
while a run uses it.

  overwritten: once the first token is out, the artifact file is
               overwritten in place with zeros and cut to half its size;
               the run goes on and gives the same tokens as an undisturbed
               run (it holds its own copy of the file).
  replaced:    the same with a different artifact renamed over the path.
  after:       a new run on the damaged file refuses it, naming the file.

Usage: run_faults.py --artifact A.llmc --other B.llmc --work DIR
Every step has a time bound; exits 1 on any failure."""

import argparse
import os
import shutil
import subprocess
import sys

BOUND = 120
TOKENS = "200"


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def generate(path):
    return ["llmc-run", path, "--threads", "1", "generate", "--prompt-ids",
            "1", "--max-tokens", TOKENS, "--ignore-eos"]


def disturbed(path, disturb):
    """The run's ids, `disturb` applied once the first id is out."""
    process = subprocess.Popen(generate(path), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    # The first id's first byte, read past Python's buffering.
    first = os.read(process.stdout.fileno(), 1)
    disturb()
    rest, err = process.communicate(timeout=BOUND)
    if process.returncode != 0:
        fail(f"the run failed after the disturbance: {err.decode().strip()}")
    return (first + rest).decode().split()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--other", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    path = os.path.join(args.work, "model.llmc")
    shutil.copy(args.artifact, path)
    reference = subprocess.run(generate(path), capture_output=True, text=True,
                               timeout=BOUND, check=True).stdout.split()

    def overwrite():
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.write(bytes(size))
            f.truncate(size // 2)
    ids = disturbed(path, overwrite)
    if ids != reference:
        fail(f"overwritten: {len(ids)} ids differ from the undisturbed run")
    print(f"overwritten: the run gave the same {len(ids)} tokens as an "
          "undisturbed one")

    after = subprocess.run(generate(path), capture_output=True, text=True,
                           timeout=BOUND)
    said = after.stderr.strip().splitlines()[-1] if after.stderr else ""
    if after.returncode == 0 or path not in said:
        fail(f"after: exit {after.returncode}, said {said!r}")
    print(f"after: exit {after.returncode}, "
          f"\"{said.replace(args.work, 'WORK')}\"")

    shutil.copy(args.artifact, path)
    staged = os.path.join(args.work, "other.llmc")
    shutil.copy(args.other, staged)
    ids = disturbed(path, lambda: os.replace(staged, path))
    if ids != reference:
        fail(f"replaced: {len(ids)} ids differ from the undisturbed run")
    print(f"replaced: the run gave the same {len(ids)} tokens as an "
          "undisturbed one")


if __name__ == "__main__":
    main()
