"""Faults of a parallel run: a rank that fails, a rank that dies.

usage: parallel_faults.py WORK STORIES.onnx [--tp 2 | --pp 2]

Compiles stories260K for 2 ranks (2 tensor-parallel ranks, by default, or
the flags' 2 pipeline stages), then:
- unreadable: rank 1 is given a truncated copy of the artifact (mpirun's
  MPMD form); it must fail with an error naming rank 1 and the file, and
  the job must end, with a non-zero status, within 30 s;
- killed: while both ranks decode, rank 1 gets SIGKILL; rank 0 must not
  wait for it: the job ends within 30 s, mpirun's message names rank 1.
After each, no llmc-run process of the job may be left. Prints one line
per check (FileCheck'ed) and exits 1 at the first failure.
"""
import os
import signal
import subprocess
import sys
import time

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
LIMIT = 30.0


def check(ok, line):
    print(("ok: " if ok else "FAILED: ") + line, flush=True)
    if not ok:
        sys.exit(1)


def ranks_of(tag):
    """{rank: pid} of the llmc-run processes whose command line has `tag`."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if not command or not command[0].endswith(b"llmc-run") or \
                tag.encode() not in b" ".join(command):
            continue
        for entry in environ:
            if entry.startswith(b"OMPI_COMM_WORLD_RANK="):
                found[int(entry.split(b"=")[1])] = int(pid)
    return found


def finish(job, started):
    try:
        out, _ = job.communicate(timeout=max(1.0, LIMIT - (time.time() - started)))
    except subprocess.TimeoutExpired:
        job.kill()
        out, _ = job.communicate()
        return None, out
    return time.time() - started, out


def main():
    work, stories = sys.argv[1:3]
    layout = sys.argv[3:] or ["--tp", "2"]
    os.makedirs(work, exist_ok=True)
    artifact = os.path.join(work, "faults-2.llmc")
    subprocess.run(["llmc", "compile", stories, "-o", artifact, *layout],
                   check=True, capture_output=True)
    truncated = os.path.join(work, "faults-truncated.llmc")
    data = open(artifact, "rb").read()
    open(truncated, "wb").write(data[: len(data) // 2])

    generate = ["generate", "--prompt-ids", "1,2,3", "--max-tokens", "400",
                "--ignore-eos"]
    started = time.time()
    job = subprocess.Popen(
        [*MPIRUN, "-np", "1", "llmc-run", artifact, *generate, ":",
         "-np", "1", "llmc-run", truncated, *generate],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds, output = finish(job, started)
    check(seconds is not None and job.returncode != 0,
          f"unreadable: the job ended with status {job.returncode} "
          f"within {LIMIT:.0f} s")
    line = next((l for l in output.splitlines() if "rank 1:" in l), "")
    check("faults-truncated.llmc" in line and "truncated" in line,
          "unreadable: " + line.strip())
    check(not ranks_of(truncated) and not ranks_of(artifact),
          "unreadable: no rank left running")

    tag = "--repeat"
    started = time.time()
    job = subprocess.Popen(
        [*MPIRUN, "-np", "2", "llmc-run", artifact, "bench", "--prompt-len",
         "16", "--gen", "400", "--repeat", "100000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ranks = {}
    while len(ranks) < 2 and time.time() - started < LIMIT:
        time.sleep(0.2)
        ranks = ranks_of(tag)
    check(len(ranks) == 2, "killed: both ranks decoding")
    time.sleep(1.0)
    os.kill(ranks[1], signal.SIGKILL)
    killed = time.time()
    seconds, output = finish(job, killed)
    check(seconds is not None and job.returncode != 0,
          f"killed: the job ended with status {job.returncode} within "
          f"{LIMIT:.0f} s of the kill")
    line = next((l for l in output.splitlines()
                 if "rank 1" in l and "signal 9" in l), "")
    check(bool(line), "killed: " + line.strip())
    check(not ranks_of(tag), "killed: no rank left running")


if __name__ == "__main__":
    main()
