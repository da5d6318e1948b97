#!/usr/bin/env python3
"""Tokenizer encoding speed, llmc against Hugging Face's tokenizers on the
same tokenizer.json files and the same 1.3 MB text, taking turns (5 rounds,
medians), identity of every line checked as it goes
(test/tokenizer/parity.py). Writes bench/results/tokenizers.md.

Usage: bench/tokenizers.py [--build build]"""

import argparse
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--build", default=os.path.join(ROOT, "build"))
parser.add_argument("--rounds", type=int, default=5)
args = parser.parse_args()
out = os.path.join(ROOT, "bench", "results", "tokenizers.md")
os.makedirs(os.path.dirname(out), exist_ok=True)
subprocess.run([sys.executable, os.path.join(ROOT, "test", "tokenizer",
                                             "parity.py"),
                "--llmc-tokenize", os.path.join(args.build, "bin",
                                                "llmc-tokenize"),
                "--work", os.path.join(args.build, "bench-tokenizers"),
                "--test-models", os.path.join(args.build, "test", "models"),
                "--rounds", str(args.rounds), "--markdown", out], check=True)
with open("/proc/cpuinfo") as f:
    flags = next(line for line in f if line.startswith("flags")).split()
isa = "AVX-512 VNNI" if "avx512_vnni" in flags else (
    "AVX2" if "avx2" in flags else "SSE")
with open(out, "a") as f:
    f.write(f"\nMachine: {os.cpu_count()} CPUs ({isa}), "
            f"{platform.machine()}.\n")
print(f"wrote {out}")
