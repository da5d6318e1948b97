#!/usr/bin/env python3
"""Faults injected into a multi-rank job (issue 27): a rank killed with
SIGKILL mid-generation. Every rank must be gone within 30 s, mpirun must
exit non-zero, and its message must name the rank that failed.

Usage: rank_faults.py --artifact TP2.llmc
(The artifact is compiled with --tp 2; the job runs as 2 ranks.)"""

import argparse
import os
import signal
import subprocess
import sys
import time

BOUND = 30  # seconds every rank has to be gone in


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def ranks_of(parent):
    """{rank: pid} of the processes below `parent` that are MPI ranks."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(item.split(b"=", 1) for item in f.read().split(b"\0")
                           if b"=" in item)
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        rank = env.get(b"OMPI_COMM_WORLD_RANK")
        if rank is not None and ppid == parent:
            found[int(rank)] = int(pid)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artifact", required=True)
    args = parser.parse_args()
    command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2",
               "llmc-run", args.artifact, "--threads", "1", "generate",
               "--prompt-ids", "1", "--max-tokens", "250", "--ignore-eos"]
    job = subprocess.Popen(command, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    if not os.read(job.stdout.fileno(), 1):  # the first token is out
        fail("the job printed nothing")
    ranks = ranks_of(job.pid)
    if sorted(ranks) != [0, 1]:
        fail(f"found ranks {sorted(ranks)} below mpirun")
    os.kill(ranks[1], signal.SIGKILL)
    start = time.monotonic()
    try:
        _, err = job.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        job.kill()
        fail(f"mpirun still running {BOUND} s after rank 1 was killed")
    seconds = time.monotonic() - start
    alive = [r for r, pid in ranks.items() if os.path.exists(f"/proc/{pid}")
             and open(f"/proc/{pid}/stat").read().split()[2] != "Z"]
    text = err.decode(errors="replace")
    named = [line.strip() for line in text.splitlines()
             if "rank 1" in line and "signal 9" in line]
    if job.returncode == 0 or alive or not named:
        fail(f"exit {job.returncode}, ranks alive {alive}, said {text!r}")
    print(f"rank killed: every rank gone {seconds:.1f} s after rank 1 was "
          f"killed (bound {BOUND} s), mpirun exit {job.returncode}: "
          f"\"{named[0].split(' with PID')[0]} ...\"")


if __name__ == "__main__":
    main()
