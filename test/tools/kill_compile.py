"""Killing `llmc compile` at any moment leaves no artifact behind.

usage: kill_compile.py MODEL.onnx WORK_DIR

Starts compiles of MODEL into an empty folder and SIGKILLs each after a
growing delay, until at least 3 were killed while writing the artifact (its
progress shows "plan-memory", the stage before "write artifact", done but
not that one).
After every kill the folder must hold nothing, or (when the kill came after
the artifact was in place) exactly a complete artifact: never a partial
file. A complete artifact is one llmc-run opens and runs. Exits 1 on the
first violation.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

model, work = sys.argv[1:3]
killed = during_write = finished = 0
delay = 0.0
for attempt in range(400):
    if during_write >= 3:
        break
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    out = os.path.join(work, "model.llmc")
    process = subprocess.Popen(["llmc", "compile", model, "-o", out],
                               stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate()
    left = sorted(os.listdir(work))
    complete = left == ["model.llmc"] and subprocess.run(
        ["llmc-run", out, "logits", "--prompt-ids", "1"],
        capture_output=True).returncode == 0
    if process.returncode == -signal.SIGKILL:
        killed += 1
        if "llmc: plan-memory" in stderr and "write artifact" not in stderr:
            during_write += 1
        if left and not complete:
            print(f"FAIL: killed after {delay:.3f} s, left {left}")
            sys.exit(1)
        delay = 0.0 if left else delay + 0.004
    else:
        finished += 1
        if process.returncode != 0 or not complete:
            print(f"FAIL: a finished compile left {left} "
                  f"(exit {process.returncode})")
            sys.exit(1)
        delay = 0.0  # start the sweep again
if during_write < 3:
    print(f"FAIL: only {during_write} of {killed} kills landed while writing")
    sys.exit(1)
print(f"killed {killed} compiles ({during_write} while writing the "
      f"artifact): nothing or a complete artifact left behind, never a "
      f"partial file; {finished} finished compiles left a complete artifact")
