#!/usr/bin/env python3
"""Faults injected into a multi-rank job (issue 27), mid-generation:

  killed:  a rank killed with SIGKILL;
  stalled: a rank stopped with SIGSTOP (alive, silent: the rank watchdog,
           LLMC_RANK_TIMEOUT=5 here, must notice).
Every rank must be gone within 30 s, mpirun must exit non-zero, and the
job's messages must name the rank that failed.

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


def inject(artifact, fault, pattern):
    """Runs the job, applies `fault` to rank 1 after the first token, and
    returns (seconds until every rank was gone, exit code, the line of the
    job's messages that matches `pattern`)."""
    command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2",
               "llmc-run", artifact, "--threads", "1", "generate",
               "--prompt-ids", "1", "--max-tokens", "250", "--ignore-eos"]
    env = dict(os.environ, LLMC_RANK_TIMEOUT="5")
    job = subprocess.Popen(command, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env)
    if not os.read(job.stdout.fileno(), 1):  # the first token is out
        fail("the job printed nothing")
    ranks = ranks_of(job.pid)
    if sorted(ranks) != [0, 1]:
        fail(f"found ranks {sorted(ranks)} below mpirun")
    os.kill(ranks[1], fault)
    start = time.monotonic()
    try:
        _, err = job.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        job.kill()
        for pid in ranks.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        fail(f"the job still ran {BOUND} s after rank 1's fault")

    def living():
        found = []
        for rank, pid in ranks.items():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        found.append(rank)
            except OSError:
                pass
        return found

    # mpirun may return while a rank it killed is still ending (slower
    # under a sanitizer): every rank must be gone within the bound.
    alive = living()
    while alive and time.monotonic() - start < BOUND:
        time.sleep(0.05)
        alive = living()
    seconds = time.monotonic() - start
    text = err.decode(errors="replace")
    named = [line.strip() for line in text.splitlines() if pattern(line)]
    if job.returncode == 0 or alive or not named:
        for rank in alive:
            os.kill(ranks[rank], signal.SIGKILL)
        fail(f"exit {job.returncode}, ranks alive {alive}, said {text!r}")
    return seconds, job.returncode, named[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artifact", required=True)
    args = parser.parse_args()
    seconds, code, line = inject(
        args.artifact, signal.SIGKILL,
        lambda line: "rank 1" in line and "signal 9" in line)
    print(f"killed: every rank gone {seconds:.1f} s after rank 1 was killed "
          f"(bound {BOUND} s), mpirun exit {code}: "
          f"\"{line.split(' with PID')[0]} ...\"")
    seconds, code, line = inject(
        args.artifact, signal.SIGSTOP,
        lambda line: "no word from rank 1" in line)
    print(f"stalled: every rank gone {seconds:.1f} s after rank 1 was "
          f"stopped (bound {BOUND} s), mpirun exit {code}: \"{line}\"")


if __name__ == "__main__":
    main()
